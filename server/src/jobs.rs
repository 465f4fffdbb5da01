//! The background jobs, run one way: each `Job` has its interval (from `Config`) and a
//! `run_once` that does one batch and says whether more is waiting (tests call it directly).
//! `Jobs::start` runs each on its interval until told to stop; on stop they claim nothing new,
//! finish the batch they hold (an import stops between rows and is resumed by the next run),
//! and `Jobs::stopped` returns once all of them have.

use app::error::AppResult;
use app::server::services::{crm, platform};
use app::server::state::AppState;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// One kind of background work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    /// Delivers due mail from the outbox.
    Outbox,
    /// Recomputes data-quality scores that went stale.
    Quality,
    /// Runs queued CSV imports and reverts, and takes over those whose worker died.
    Imports,
}

/// How many messages or customers one batch takes.
const BATCH: u64 = 50;
const QUALITY_BATCH: u64 = 500;

impl Job {
    pub const ALL: [Job; 3] = [Job::Outbox, Job::Quality, Job::Imports];

    pub fn name(self) -> &'static str {
        match self {
            Job::Outbox => "outbox",
            Job::Quality => "data quality",
            Job::Imports => "imports",
        }
    }

    /// How often it looks for work.
    pub fn every(self, state: &AppState) -> Duration {
        match self {
            Job::Outbox => state.config.outbox_interval,
            Job::Quality => state.config.quality_interval,
            Job::Imports => state.config.import_interval,
        }
    }

    /// Does one batch of work. `Ok(true)` when more is waiting right away. `stop` tells a long
    /// batch (an import) to stop at its next safe point.
    pub async fn run_once(self, state: &AppState, stop: &Stop) -> AppResult<bool> {
        match self {
            Job::Outbox => {
                let report = platform::outbox::dispatch_due(&state.db, &state.mailer, BATCH).await?;
                Ok(report.sent + report.retried + report.failed + report.held >= BATCH as usize)
            }
            Job::Quality => {
                Ok(crm::customers::refresh_expired_quality(&state.db, QUALITY_BATCH).await? == QUALITY_BATCH as usize)
            }
            Job::Imports => crm::imports::work_while(&state.db, &|| !stop.is_set()).await,
        }
    }
}

/// Whether the jobs were told to stop.
#[derive(Clone)]
pub struct Stop(watch::Receiver<bool>);

impl Stop {
    pub fn is_set(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once the jobs are told to stop.
    async fn wait(&mut self) {
        // An error means the sender is gone: that is a stop too.
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

/// The running jobs.
pub struct Jobs {
    stop: Arc<watch::Sender<bool>>,
    tasks: JoinSet<()>,
}

impl Jobs {
    /// Starts every job on its interval.
    pub fn start(state: &AppState) -> Jobs {
        let (stop, receiver) = watch::channel(false);
        let mut tasks = JoinSet::new();
        for job in Job::ALL {
            tasks.spawn(run(job, state.clone(), Stop(receiver.clone())));
        }
        Jobs { stop: Arc::new(stop), tasks }
    }

    /// A handle that tells the jobs to stop (from a signal handler).
    pub fn stopper(&self) -> impl Fn() + Send + Sync + 'static {
        let stop = self.stop.clone();
        move || {
            stop.send_replace(true);
        }
    }

    /// Tells the jobs to stop and returns once each has finished what it holds.
    pub async fn stopped(mut self) {
        self.stop.send_replace(true);
        while let Some(result) = self.tasks.join_next().await {
            if let Err(e) = result {
                tracing::error!(error = %e, "a background job ended abnormally");
            }
        }
        tracing::info!("background jobs stopped");
    }
}

/// Runs `job` every interval, batch after batch while more is waiting, until `stop`.
async fn run(job: Job, state: AppState, mut stop: Stop) {
    let mut tick = tokio::time::interval(job.every(&state));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            _ = stop.wait() => return,
            _ = tick.tick() => {}
        }
        while !stop.is_set() {
            match job.run_once(&state, &stop).await {
                Ok(true) => continue,
                Ok(false) => break,
                Err(e) => {
                    tracing::warn!(job = job.name(), error = %e, "background job failed; will retry");
                    break;
                }
            }
        }
    }
}
