//! The lab's panels: small structs, each with a `ui` method that draws it
//! and pushes commands.

pub mod checks;
pub mod cluster;
pub mod faults;
pub mod inspector;
pub mod log;
pub mod path;
pub mod picker;
pub mod spacetime;
pub mod tour;
pub mod transport;
