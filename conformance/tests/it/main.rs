//! Tests of the conformance runner itself, in one binary.

/// Helpers: the binary, broken clients, report parsing.
mod util;

/// Clients that are subtly wrong are each caught, with a message that says what differed.
mod broken_clients;

/// Endpoints that misbehave are reported clearly, as failures or as harness errors.
mod misbehaving_endpoints;

/// The command line: list, filters, exit codes, reports, known deviations.
mod cli;
