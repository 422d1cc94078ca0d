//! CPU seconds from the kernel's accounting (`/proc/PID/stat`): a process's own, and that of the
//! children this process has reaped.

use anyhow::Context as _;

/// User and system CPU seconds of process `pid`, all its threads.
pub fn of(pid: u32) -> anyhow::Result<f64> {
    // utime and stime: fields 14 and 15 of the line.
    seconds(&format!("/proc/{pid}/stat"), 14)
}

/// User and system CPU seconds of every child this process has reaped so far, and of theirs.
pub fn of_reaped_children() -> anyhow::Result<f64> {
    // cutime and cstime: fields 16 and 17 of the line.
    seconds("/proc/self/stat", 16)
}

/// The sum of fields `field` and `field + 1` (counted from 1, as proc(5) counts) of a stat file,
/// in seconds.
fn seconds(path: &str, field: usize) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(path)?;
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do
    // not. The first of those is field 3.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .context("unreadable /proc stat")?
        .1
        .split_whitespace()
        .collect();
    let ticks = |field: usize| -> anyhow::Result<f64> {
        Ok(fields
            .get(field - 3)
            .context("short /proc stat")?
            .parse::<f64>()?)
    };
    // USER_HZ is 100 on Linux.
    Ok((ticks(field)? + ticks(field + 1)?) / 100.0)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    #[test]
    fn a_busy_process_and_a_busy_child_once_reaped_are_counted() {
        // Spinning until the account shows a tenth of a second, however loaded the machine.
        let before = super::of(std::process::id()).unwrap();
        let started = Instant::now();
        let mut after = before;
        while after - before < 0.1 && started.elapsed() < Duration::from_secs(20) {
            let mut spent = 0u64;
            for i in 0..1_000_000u64 {
                spent = std::hint::black_box(spent.wrapping_add(i));
            }
            after = super::of(std::process::id()).unwrap();
        }
        assert!(after - before >= 0.1, "{before} → {after}");

        let reaped = super::of_reaped_children().unwrap();
        let status = std::process::Command::new("sh")
            .args(["-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done"])
            .status()
            .unwrap();
        assert!(status.success());
        let now = super::of_reaped_children().unwrap();
        assert!(now - reaped >= 0.05, "{reaped} → {now}");

        assert!(super::of(u32::MAX).is_err(), "no such process");
    }
}
