//! Parsing untrusted files in a separate worker process.
//!
//! The server runs its own binary again with [`WORKER_ARG`]; the worker
//! first confines itself, then reads the file from stdin and writes what
//! [`crate::extract`] made of it to stdout as JSON. Confinement, in order:
//! - resource limits (`setrlimit`): address space, CPU seconds, no file
//!   may be written, few descriptors; and a lower scheduling priority;
//! - Landlock, where the kernel offers it: no file may be opened, and on
//!   ABI 4+ no TCP port bound or connected;
//! - a seccomp filter: the syscalls that reach the network, start programs,
//!   trace processes or change namespaces fail with `EPERM`
//!   (a deny list: the parsers' own needs differ between libc versions).
//!
//! Where the kernel lacks Landlock or seccomp the worker still parses and
//! reports what held (`/api/v1/assistant/status`), unless the operator asks
//! for `strict`: then it refuses to read anything unconfined.
//!
//! The parent adds a wall-clock deadline and a cap on the output, and kills
//! the worker on either. Whatever a hostile file does (a decompression bomb,
//! a page tree a million levels deep, a parser bug) ends its worker and
//! fails its document with a reason; the server goes on.

use crate::extract::{Extracted, Kind, Unreadable};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use utoipa::ToSchema;

/// The first argument that makes the binary a parser worker.
pub const WORKER_ARG: &str = "__stackpro-parse-worker";

/// How much a worker may use.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Address space, in bytes.
    pub memory: u64,
    /// CPU time, in seconds.
    pub cpu_secs: u64,
    /// Wall-clock time.
    pub wall: Duration,
    /// Bytes of output.
    pub output: usize,
    /// Refuse to parse unless Landlock is enforced and seccomp installed
    /// (`STACKPRO_PARSER_CONFINEMENT=strict`); best effort otherwise.
    pub strict: bool,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { memory: 1 << 30, cpu_secs: 30, wall: Duration::from_secs(60), output: 64 << 20, strict: false }
    }
}

/// What held in a worker, as it reported.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Confinement {
    /// Landlock: `enforced`, `partial` (an older ABI: files but not all of
    /// the network), or `unavailable` (the kernel has none).
    pub landlock: LandlockState,
    /// Whether the seccomp filter is installed.
    pub seccomp: bool,
}

/// How far Landlock holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LandlockState {
    /// Every access we ask to deny is denied.
    Enforced,
    /// Some are (an older ABI).
    Partial,
    /// None: the kernel lacks Landlock.
    #[default]
    Unavailable,
}

#[derive(Serialize, Deserialize)]
struct Report {
    confinement: Confinement,
    result: Result<Extracted, Unreadable>,
}

/// Runs parser workers, at most `slots` at a time.
#[derive(Clone)]
pub struct Sandbox {
    program: PathBuf,
    limits: Limits,
    slots: Arc<tokio::sync::Semaphore>,
    seen: Arc<std::sync::Mutex<Option<Confinement>>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").field("program", &self.program).finish()
    }
}

impl Sandbox {
    /// Workers run `program` (the server's own binary).
    pub fn new(program: PathBuf, limits: Limits, slots: usize) -> Sandbox {
        Sandbox { program, limits, slots: Arc::new(tokio::sync::Semaphore::new(slots.max(1))), seen: Arc::default() }
    }

    /// What the last worker reported of its confinement, if one ran.
    pub fn confinement(&self) -> Option<Confinement> {
        self.seen.lock().ok().and_then(|g| *g)
    }

    /// Parses `bytes` of `kind` in a worker.
    ///
    /// # Errors
    /// With the reason the file cannot be read, including the worker's
    /// death by a limit.
    pub async fn parse(&self, kind: Kind, bytes: bytes::Bytes) -> Result<Extracted, Unreadable> {
        let _slot = self.slots.acquire().await.map_err(|_| killed("the parser is shutting down"))?;
        let mut child = tokio::process::Command::new(&self.program)
            .arg(WORKER_ARG)
            .arg(kind.as_str())
            .arg(self.limits.memory.to_string())
            .arg(self.limits.cpu_secs.to_string())
            .arg(if self.limits.strict { "strict" } else { "best-effort" })
            .env_clear()
            // mimalloc (the server's allocator) reserves 1 GiB of address
            // space up front, which alone would meet the worker's limit.
            .env("MIMALLOC_ARENA_RESERVE", "64MiB")
            .current_dir("/")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                tracing::error!(error = %e, program = %self.program.display(), "cannot start a parser worker");
                killed("the parser could not be started")
            })?;
        let (Some(mut stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(killed("the parser could not be started"));
        };
        let feed = tokio::spawn(async move {
            // A worker that dies early closes the pipe: nothing to report.
            let _ = stdin.write_all(&bytes).await;
            let _ = stdin.shutdown().await;
        });
        let cap = self.limits.output;
        let read_out = async move {
            let mut out = Vec::new();
            let n = stdout.take(cap as u64 + 1).read_to_end(&mut out).await;
            (out, n)
        };
        let read_err = async move {
            let mut err = Vec::new();
            let _ = stderr.take(16 * 1024).read_to_end(&mut err).await;
            err
        };
        let run = async { tokio::join!(read_out, read_err, child.wait()) };
        let ((out, _), err, status) = match tokio::time::timeout(self.limits.wall, run).await {
            Ok(r) => r,
            Err(_) => {
                let _ = child.kill().await;
                feed.abort();
                return Err(Unreadable::new(
                    "worker_killed",
                    format!("Reading this file took longer than {} s; it was stopped.", self.limits.wall.as_secs()),
                ));
            }
        };
        feed.abort();
        if out.len() > cap {
            let _ = child.kill().await;
            return Err(Unreadable::new("too_large", "This file yields more text than one document may hold."));
        }
        let status = status.map_err(|_| killed("the parser's end could not be read"))?;
        if !status.success() {
            return Err(self.death(status, &err));
        }
        let report: Report = serde_json::from_slice(&out).map_err(|_| killed("the parser's answer was garbled"))?;
        if let Ok(mut seen) = self.seen.lock() {
            if seen.is_none() {
                tracing::info!(landlock = ?report.confinement.landlock, seccomp = report.confinement.seccomp,
                    "parser workers are confined");
            }
            *seen = Some(report.confinement);
        }
        report.result
    }

    fn death(&self, status: std::process::ExitStatus, stderr: &[u8]) -> Unreadable {
        use std::os::unix::process::ExitStatusExt;
        let err = String::from_utf8_lossy(stderr);
        let mib = self.limits.memory >> 20;
        if err.contains("memory allocation") || err.contains("capacity overflow") {
            return Unreadable::new(
                "worker_killed",
                format!("Reading this file needed more than {mib} MiB of memory; it was stopped."),
            );
        }
        if err.contains("overflowed its stack") {
            return Unreadable::new(
                "worker_killed",
                "This file is nested too deeply to read (its structure looks built to crash readers).",
            );
        }
        match status.signal() {
            Some(24) | Some(9) => Unreadable::new(
                "worker_killed",
                format!("Reading this file used more than {} s of CPU; it was stopped.", self.limits.cpu_secs),
            ),
            Some(sig) => {
                tracing::warn!(signal = sig, "a parser worker died");
                Unreadable::new("worker_killed", "The parser stopped on this file; it may be damaged or hostile.")
            }
            None => {
                if status.code() == Some(101) {
                    // Not its message: a parser's panic may quote the document.
                    tracing::warn!("a parser worker panicked");
                }
                Unreadable::new("corrupt_file", "This file could not be read; it may be damaged.")
            }
        }
    }
}

fn killed(why: &str) -> Unreadable {
    Unreadable::new("worker_killed", format!("This file could not be read: {why}. Try again later."))
}

/// The worker: confines itself, reads the file from stdin, writes its
/// [`Report`] to stdout. Returns the process's exit code.
pub fn worker_main(args: &[String]) -> i32 {
    let (Some(kind), Some(memory), Some(cpu)) = (
        args.first().and_then(|k| Kind::parse(k)),
        args.get(1).and_then(|m| m.parse::<u64>().ok()),
        args.get(2).and_then(|c| c.parse::<u64>().ok()),
    ) else {
        eprintln!("usage: stackpro {WORKER_ARG} <kind> <memory bytes> <cpu seconds> [strict|best-effort]");
        return 2;
    };
    let limits = [
        (rlimit::Resource::AS, memory),
        (rlimit::Resource::CPU, cpu),
        (rlimit::Resource::FSIZE, 0),
        (rlimit::Resource::NOFILE, 16),
        (rlimit::Resource::CORE, 0),
    ];
    for (res, value) in limits {
        if let Err(e) = rlimit::setrlimit(res, value, value) {
            eprintln!("cannot set {res:?}: {e}");
            return 3;
        }
    }
    // Below the server in the scheduler's eyes: parsing never starves
    // requests of CPU.
    // SAFETY: nice(2) takes an integer and touches no memory of ours.
    unsafe {
        libc::nice(10);
    }
    let landlock = confine_files();
    let seccomp = match deny_syscalls() {
        Ok(()) => true,
        Err(e) => {
            eprintln!("seccomp unavailable: {e}");
            false
        }
    };
    let strict = args.get(3).map(String::as_str) == Some("strict");
    if strict && (landlock != LandlockState::Enforced || !seccomp) {
        // Nothing hostile is parsed by a worker that could not confine itself.
        let result = Err(Unreadable::new(
            "worker_unconfined",
            "Documents cannot be read on this server right now: its parser could not be confined \
             (the operator requires Landlock and seccomp). Tell the operator.",
        ));
        let report = Report { confinement: Confinement { landlock, seccomp }, result };
        return match serde_json::to_writer(std::io::stdout().lock(), &report) {
            Ok(()) => 0,
            Err(_) => 5,
        };
    }
    let mut input = Vec::new();
    if let Err(e) = std::io::Read::read_to_end(&mut std::io::stdin(), &mut input) {
        eprintln!("cannot read the file: {e}");
        return 4;
    }
    let result = crate::extract::extract(kind, &input);
    drop(input);
    let report = Report { confinement: Confinement { landlock, seccomp }, result };
    let mut out = std::io::stdout().lock();
    match serde_json::to_writer(&mut out, &report) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("cannot write the result: {e}");
            5
        }
    }
}

fn confine_files() -> LandlockState {
    use landlock::{Access, AccessFs, AccessNet, Ruleset, RulesetAttr, RulesetStatus, ABI};
    let abi = ABI::V5;
    let status = Ruleset::default()
        .handle_access(AccessFs::from_all(abi))
        .and_then(|r| r.handle_access(AccessNet::from_all(abi)))
        .and_then(|r| r.create())
        .and_then(|r| r.restrict_self());
    match status {
        Ok(s) => match s.ruleset {
            RulesetStatus::FullyEnforced => LandlockState::Enforced,
            RulesetStatus::PartiallyEnforced => LandlockState::Partial,
            RulesetStatus::NotEnforced => LandlockState::Unavailable,
        },
        Err(e) => {
            eprintln!("landlock unavailable: {e}");
            LandlockState::Unavailable
        }
    }
}

fn deny_syscalls() -> Result<(), String> {
    use seccompiler::{SeccompAction, SeccompFilter, TargetArch};
    let arch: TargetArch = std::env::consts::ARCH.try_into().map_err(|e| format!("{e:?}"))?;
    let denied = [
        libc::SYS_socket,
        libc::SYS_socketpair,
        libc::SYS_connect,
        libc::SYS_bind,
        libc::SYS_listen,
        libc::SYS_accept,
        libc::SYS_accept4,
        libc::SYS_sendto,
        libc::SYS_sendmsg,
        libc::SYS_recvfrom,
        // Signals to other processes (abort's own tgkill stays allowed).
        libc::SYS_kill,
        libc::SYS_tkill,
        libc::SYS_execve,
        libc::SYS_execveat,
        libc::SYS_fork,
        libc::SYS_vfork,
        libc::SYS_ptrace,
        libc::SYS_process_vm_readv,
        libc::SYS_process_vm_writev,
        libc::SYS_mount,
        libc::SYS_umount2,
        libc::SYS_unshare,
        libc::SYS_setns,
        libc::SYS_chroot,
        libc::SYS_pivot_root,
        libc::SYS_kexec_load,
        libc::SYS_init_module,
        libc::SYS_finit_module,
        libc::SYS_bpf,
        libc::SYS_perf_event_open,
        libc::SYS_keyctl,
        libc::SYS_add_key,
        libc::SYS_request_key,
        libc::SYS_userfaultfd,
        libc::SYS_io_uring_setup,
    ];
    let rules = denied.iter().map(|&s| (s, vec![])).collect();
    let filter = SeccompFilter::new(rules, SeccompAction::Allow, SeccompAction::Errno(libc::EPERM as u32), arch)
        .map_err(|e| e.to_string())?;
    let program: seccompiler::BpfProgram = filter.try_into().map_err(|e: seccompiler::BackendError| e.to_string())?;
    seccompiler::apply_filter(&program).map_err(|e| e.to_string())
}
