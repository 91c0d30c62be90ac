//! The DORA Register of Information (ITS (EU) 2024/2956; EBA reporting framework 4.0, DORA
//! module). `catalogue`: the 15 templates, their columns, keys, closed lists and foreign keys,
//! as the EBA defines them (data in `data/`). Building the register from the architecture
//! model, checking it and its package are issue 16's next steps.

pub mod catalogue;
