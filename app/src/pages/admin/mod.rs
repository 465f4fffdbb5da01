//! Admin pages: users and invitations, the dev mailbox.

pub mod mailbox;
pub mod users;
