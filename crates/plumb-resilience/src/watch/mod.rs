//! `plumb watch`: after a deployment, Prometheus is asked every interval for the configured
//! queries; each measurement, each query and the watch are judged Successful, Failed or
//! Inconclusive (Argo Rollouts' analysis); the verdict is recorded with every sample, and a
//! failed watch runs the rollback. `config` reads the configuration, `condition` the
//! conditions, `prometheus` the API, `judge` the pure judgement, `run` the loop, `rollback`
//! the command, `evidence` the records.

pub mod analysis_run;
pub mod condition;
pub mod config;
pub mod evidence;
pub mod judge;
pub mod prometheus;
pub mod rollback;
pub mod run;
