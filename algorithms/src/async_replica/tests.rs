//! Tests of asynchronous read replicas.
