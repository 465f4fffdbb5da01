//! Data for trying Rapport out and for measuring it: the demo (`demo`, with its processes in
//! `processes`) and the benchmark's bulk data (`bench`).

pub mod bench;
pub mod demo;
pub mod processes;
