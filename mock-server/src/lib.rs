//! codeartifact-mock (work in progress).
pub mod api;
pub mod clock;
pub mod config;
pub mod directory;
pub mod domain;
pub mod error;
pub mod fixture;
pub mod identity;
pub mod server;
pub mod service;
pub mod sigv4;
pub mod token;

pub use service::MockService;
