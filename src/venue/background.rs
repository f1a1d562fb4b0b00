//! The background tasks a venue starts in [`super::Venue::start`] (a pool sync, an order
//! reconciler): owned by the venue, stopped by [`BackgroundTasks::stop_all`] (from
//! [`super::Venue::close`]) and when the venue is dropped.

use std::sync::{Mutex, MutexGuard};

use tokio::task::JoinHandle;

/// Tasks aborted together, at the latest when this is dropped.
#[derive(Debug, Default)]
pub struct BackgroundTasks {
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl BackgroundTasks {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes ownership of a running task.
    pub fn keep(&self, task: JoinHandle<()>) {
        let mut tasks = self.lock();
        tasks.retain(|t| !t.is_finished());
        tasks.push(task);
    }

    /// How many tasks still run.
    pub fn running(&self) -> usize {
        self.lock().iter().filter(|t| !t.is_finished()).count()
    }

    /// Aborts every task.
    pub fn stop_all(&self) {
        for t in self.lock().drain(..) {
            t.abort();
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<JoinHandle<()>>> {
        self.tasks.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for BackgroundTasks {
    fn drop(&mut self) {
        self.stop_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn forever() -> JoinHandle<()> {
        tokio::spawn(async {
            loop {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
        })
    }

    #[tokio::test]
    async fn stop_all_and_drop_abort_the_tasks() {
        let tasks = BackgroundTasks::new();
        tasks.keep(forever());
        tasks.keep(forever());
        assert_eq!(tasks.running(), 2);
        tasks.stop_all();
        assert_eq!(tasks.running(), 0);

        let task = forever();
        let abort = task.abort_handle();
        let tasks = BackgroundTasks::new();
        tasks.keep(task);
        drop(tasks);
        tokio::task::yield_now().await;
        assert!(abort.is_finished(), "dropping the owner aborts the task");
    }
}
