//! Conformance suite for CodeArtifact token clients (see issue 4; not built yet).
