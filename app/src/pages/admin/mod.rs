//! Admin pages: users and invitations, the dev mailbox.

pub mod audit;
pub mod fields;
pub mod mailbox;
pub mod stages;
pub mod teams;
pub mod users;
