//! Types that cross the wire between server and browser. Never database rows: entities are
//! converted into these on the server, so hashes and tokens cannot leak.

pub mod admin;
pub mod api;
pub mod crm;
pub mod user;
pub mod imports;
pub mod paging;
pub mod process;
pub mod states;
