//! Argon2id hashing off the async executor, on a bounded pool of worker threads.
//!
//! - At most `max_concurrent_hashes` hashes run at once, one per worker thread, so memory
//!   for hashing is bounded by workers x m, plus, while imported Argon2 or scrypt hashes are
//!   in use, workers x their own memory (bounded by `LegacyHashLimits`), allocated per job.
//! - Each worker keeps one Argon2 memory buffer and reuses it for every hash and verify, so
//!   no hash page-faults its 19 MiB matrix in again. The buffer is not zeroized between
//!   uses: its blocks are one-way BLAKE2b derivatives of the password from which at most the
//!   stored hash itself can be computed, so clearing them (about 1-2 ms per 19 MiB) would buy
//!   nothing.
//! - At most `hash_queue_depth` requests wait; beyond that a request fails at once with
//!   [`HashError::Overloaded`] instead of queueing without bound.
//! - Stored hashes are untrusted input: their parameters are bounded before anything is
//!   allocated.
//! - Hashes imported from other systems are stored wrapped (see `wrapped.rs`): verifying one
//!   runs the other system's scheme ([`crate::legacy`]) on the password as typed, then
//!   Argon2id on its output.

mod candidate;
mod pepper;
mod queue;
mod wrapped;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use argon2::password_hash::phc::{Output, ParamsString, Salt};
use argon2::{ARGON2ID_IDENT, Algorithm, Argon2, Block, Params, PasswordHash, Version};
use customer_access_policy::Argon2Settings;
use zeroize::Zeroizing;

use crate::credential::StoredHash;
use crate::legacy::{LegacyHash, LegacyHashLimits, LegacyScheme};
// Runtime-agnostic: the core has no async runtime of its own.
use futures_channel::oneshot;

use self::queue::{JobQueue, PushError};

pub use self::candidate::Candidate;
pub use self::pepper::{MAX_PEPPER_KEY_BYTES, MIN_PEPPER_KEY_BYTES, PepperError, PepperId, Peppers};

const SALT_BYTES: usize = 16;
const OUTPUT_BYTES: usize = 32;
/// Stored hashes asking for more passes than this are refused (a tampered row could
/// otherwise make one login run for hours).
const MAX_STORED_ITERATIONS: u32 = 64;
/// Stored hashes asking for more lanes than this are refused.
const MAX_STORED_PARALLELISM: u32 = 16;

/// Why hashing did not produce an answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HashError {
    /// The queue in front of the workers is full; try again shortly.
    #[error("password hashing is overloaded")]
    Overloaded,
    /// The stored hash is not an Argon2id PHC string this library can verify.
    #[error("stored password hash is malformed or unsupported")]
    Malformed,
    /// The stored hash asks for more memory, passes or lanes than allowed.
    #[error("stored password hash parameters exceed the configured bounds")]
    ParamsTooLarge,
    /// The stored hash was made with a pepper key this service was not given (see
    /// [`Peppers`]): a configuration error, not a wrong password.
    #[error("stored password hash needs pepper key {0:?}, which is not configured")]
    UnknownPepper(String),
    /// The store holds hashes of more parameter sets (or unreadable prefixes) than one
    /// census looks for (64): logins cannot be padded to all of them, so every one fails
    /// alike until the oldest are reset.
    #[error("too many password hash parameter sets in use to pad logins to all of them")]
    TooManyParameterSets,
    /// The configured parameters are not valid Argon2 parameters.
    #[error("invalid Argon2 parameters: {0}")]
    Params(InvalidParams),
    /// The worker pool has shut down or a worker died.
    #[error("password hashing workers are gone")]
    WorkersGone,
}

/// Why Argon2 refused its parameters; wraps the `argon2` crate's error so that crate is not
/// part of this crate's API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidParams(argon2::Error);

impl std::fmt::Display for InvalidParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for InvalidParams {}

fn invalid_params(e: argon2::Error) -> HashError {
    HashError::Params(InvalidParams(e))
}

type VerifyResult = Result<bool, HashError>;

enum Job {
    Hash {
        password: Zeroizing<Vec<u8>>,
        reply: oneshot::Sender<Result<StoredHash, HashError>>,
    },
    /// `as_typed` is for a wrapped imported hash, whose scheme saw the password as typed.
    Verify {
        password: Zeroizing<Vec<u8>>,
        as_typed: Zeroizing<Vec<u8>>,
        stored: StoredHash,
        reply: oneshot::Sender<VerifyResult>,
    },
    /// Wrap an imported hash's output (already a hash, not a password; wiped all the same).
    Wrap {
        scheme: LegacyScheme,
        salt: Vec<u8>,
        output: Zeroizing<Vec<u8>>,
        reply: oneshot::Sender<Result<StoredHash, HashError>>,
    },
    /// Is `stored` the wrapped form of this imported output?
    CheckWrap {
        stored: StoredHash,
        output: Zeroizing<Vec<u8>>,
        reply: oneshot::Sender<Result<bool, HashError>>,
    },
}

/// The pool. Cloning shares it. Workers exit when the last clone is dropped.
#[derive(Clone)]
pub struct HashPool {
    jobs: Arc<Submitter>,
    shared: Arc<PoolShared>,
}

/// The callers' end of the queue, shared by every clone of the pool: dropping the last one
/// closes the queue, which lets the workers finish what is queued and exit.
struct Submitter(Arc<JobQueue<Job>>);

impl Drop for Submitter {
    fn drop(&mut self) {
        self.0.close();
    }
}

struct PoolShared {
    params: Params,
    dummy: StoredHash,
    operations: AtomicU64,
    max_memory_kib: u32,
    legacy: LegacyHashLimits,
    peppers: Peppers,
    /// Parameter sets of the hashes this pool has wrapped since it started: logins pad to
    /// them at once, before a census of the store can have seen them.
    wrapped_sets: std::sync::Mutex<Vec<HashParameters>>,
    /// Worker threads started.
    workers: usize,
}

/// What a pool is built with besides its Argon2 settings and size; [`Default`] is no pepper
/// and the default bounds on imported hashes.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct HashPoolOptions {
    /// Bounds on the cost of imported hashes read back from storage (the service passes its
    /// policy's `legacy_hashes`).
    pub legacy: LegacyHashLimits,
    /// The pepper keys (none by default).
    pub peppers: Peppers,
}

impl std::fmt::Debug for HashPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashPool")
            .field("params", &self.shared.params)
            .field("operations", &self.operations())
            .finish_non_exhaustive()
    }
}

impl HashPool {
    /// Start `workers` threads hashing with `settings`, with room for `queue_depth` waiting
    /// requests.
    ///
    /// # Errors
    /// [`HashError::Params`] if `settings` are not valid Argon2 parameters.
    pub fn new(settings: &Argon2Settings, workers: usize, queue_depth: usize) -> Result<Self, HashError> {
        Self::with_options(settings, workers, queue_depth, HashPoolOptions::default())
    }

    /// [`new`](Self::new), with pepper keys and bounds on imported hashes.
    ///
    /// # Errors
    /// [`HashError::Params`] if `settings` are not valid Argon2 parameters.
    pub fn with_options(
        settings: &Argon2Settings,
        workers: usize,
        queue_depth: usize,
        options: HashPoolOptions,
    ) -> Result<Self, HashError> {
        let mut builder = argon2::ParamsBuilder::new();
        builder
            .m_cost(settings.memory_kib)
            .t_cost(settings.iterations)
            .p_cost(settings.parallelism)
            .output_len(OUTPUT_BYTES);
        if let Some(id) = options.peppers.current_id() {
            // Every new hash names the key it was made with.
            builder.keyid(argon2::KeyId::new(id.as_bytes()).map_err(invalid_params)?);
        }
        let params = builder.build().map_err(invalid_params)?;
        let mut shared = PoolShared {
            dummy: StoredHash::from_phc(String::new()),
            params,
            operations: AtomicU64::new(0),
            max_memory_kib: settings.max_stored_memory_kib,
            legacy: options.legacy,
            peppers: options.peppers,
            wrapped_sets: std::sync::Mutex::default(),
            workers: workers.max(1),
        };
        shared.dummy = dummy_hash(&shared.params)?;
        let shared = Arc::new(shared);
        let workers = workers.max(1);
        let queue = Arc::new(JobQueue::new(queue_depth, workers));
        let jobs = Arc::new(Submitter(Arc::clone(&queue)));
        for i in 0..workers {
            let queue = Arc::clone(&queue);
            let shared = Arc::clone(&shared);
            // On failure `jobs` is dropped on return, closing the queue: started workers exit.
            thread::Builder::new()
                .name(format!("customer-access-hash-{i}"))
                .spawn(move || worker(&queue, &shared))
                .map_err(|_| HashError::WorkersGone)?;
        }
        Ok(Self { jobs, shared })
    }

    /// The number of worker threads: how many hashes run at once.
    pub fn workers(&self) -> usize {
        self.shared.workers
    }

    /// Argon2 computations done so far (hashes, verifies and dummy verifies alike).
    pub fn operations(&self) -> u64 {
        self.shared.operations.load(Ordering::Relaxed)
    }

    /// Hash `password` (already normalised) with a fresh random salt, on a worker thread.
    ///
    /// # Errors
    /// [`HashError::Overloaded`] at once when the queue is full.
    pub async fn hash(&self, password: &[u8]) -> Result<StoredHash, HashError> {
        let (reply, answer) = oneshot::channel();
        self.submit([Job::Hash { password: Zeroizing::new(password.to_vec()), reply }])?;
        answer.await.map_err(|_| HashError::WorkersGone)?
    }

    /// Does `password` match `stored`? With `None`, verifies against a dummy hash with the
    /// current parameters (always `false`) so that "no such hash" costs the same as a wrong
    /// password.
    ///
    /// # Errors
    /// [`HashError::Overloaded`] at once when the queue is full; [`HashError::Malformed`] or
    /// [`HashError::ParamsTooLarge`] for a stored hash that cannot be used.
    pub async fn verify<'p>(
        &self,
        password: impl Into<Candidate<'p>>,
        stored: Option<&StoredHash>,
    ) -> Result<bool, HashError> {
        let (job, answer) = self.verify_job(password.into(), stored);
        self.submit([job])?;
        answer.await.map_err(|_| HashError::WorkersGone)?
    }

    /// [`verify`](Self::verify) `password` against two stored hashes at once: both jobs are
    /// queued together (as one request, taking one queue slot) before either answer is
    /// awaited, so with two or more workers they run in parallel and the pair takes about
    /// one verification's time. Each result is separate, so an unusable hash in one does not
    /// hide the other's answer.
    ///
    /// # Errors
    /// [`HashError::Overloaded`] at once when the queue is full (nothing is queued).
    pub async fn verify_pair<'p>(
        &self,
        password: impl Into<Candidate<'p>>,
        first: Option<&StoredHash>,
        second: Option<&StoredHash>,
    ) -> Result<(VerifyResult, VerifyResult), HashError> {
        self.verify_pair_padded(password.into(), first, second, &[]).await
    }

    /// [`verify_pair`](Self::verify_pair), with each of the two verifications padded to cost
    /// one verification under every parameter set of `padding`: besides the real (or dummy)
    /// verification, a dummy one runs for each set in `padding` other than the hash's own
    /// (all of them for a hash that cannot be parsed, which fails at no cost). With
    /// `padding` the parameter sets in use in the store (the current one included), a
    /// failed login then costs the same whatever parameters the username's hash was made
    /// with, or whether the username exists at all. Everything is queued as one request.
    ///
    /// # Errors
    /// As [`verify_pair`](Self::verify_pair).
    pub async fn verify_pair_padded(
        &self,
        password: Candidate<'_>,
        first: Option<&StoredHash>,
        second: Option<&StoredHash>,
        padding: &[HashParameters],
    ) -> Result<(VerifyResult, VerifyResult), HashError> {
        self.admit()?.verify_pair_padded(password, first, second, padding).await
    }

    /// Take a queue slot now for a [`verify_pair_padded`](HashSlot::verify_pair_padded)
    /// to run later, so that a caller learns of [`HashError::Overloaded`] before doing
    /// anything it would have to undo. Dropping the slot unused gives it back.
    ///
    /// # Errors
    /// [`HashError::Overloaded`] at once when the queue is full.
    pub fn admit(&self) -> Result<HashSlot<'_>, HashError> {
        self.jobs.0.try_admit().map_err(push_error)?;
        Ok(HashSlot { pool: self, used: false })
    }
}

/// A queue slot taken by [`HashPool::admit`]: its request is queued when it is used, and
/// the slot is given back if it is dropped unused.
#[must_use = "a slot is given back when dropped"]
pub struct HashSlot<'a> {
    pool: &'a HashPool,
    used: bool,
}

impl std::fmt::Debug for HashSlot<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashSlot").field("used", &self.used).finish_non_exhaustive()
    }
}

impl Drop for HashSlot<'_> {
    fn drop(&mut self) {
        if !self.used {
            self.pool.jobs.0.release();
        }
    }
}

impl HashSlot<'_> {
    /// [`HashPool::verify_pair_padded`] in this slot.
    ///
    /// # Errors
    /// [`HashError::WorkersGone`] if the pool shut down meanwhile; as
    /// [`HashPool::verify_pair`] otherwise.
    pub async fn verify_pair_padded(
        mut self,
        password: Candidate<'_>,
        first: Option<&StoredHash>,
        second: Option<&StoredHash>,
        padding: &[HashParameters],
    ) -> Result<(VerifyResult, VerifyResult), HashError> {
        let pool = self.pool;
        let (jobs, answers) = pool.padded_pair_jobs(password, first, second, padding)?;
        self.used = true;
        pool.jobs.0.push_admitted(jobs).map_err(push_error)?;
        // Awaited in queue order, not real answers first: the caller's task is then woken at
        // the same points whichever jobs are real.
        let (mut first, mut second) = (None, None);
        for (role, answer) in answers {
            let result = answer.await.map_err(|_| HashError::WorkersGone)?;
            match role {
                Role::First => first = Some(result),
                Role::Second => second = Some(result),
                // A dummy matches nothing; only its cost matters.
                Role::Pad => {}
            }
        }
        Ok((first.ok_or(HashError::WorkersGone)?, second.ok_or(HashError::WorkersGone)?))
    }
}

/// Which answer a job of a padded pair gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    First,
    Second,
    Pad,
}

/// The receivers of a padded pair, in queue order, each with the answer it gives.
type PairAnswers = Vec<(Role, oneshot::Receiver<VerifyResult>)>;

impl HashPool {
    /// The jobs of a padded pair, costliest first (see `verify_pair_padded`).
    fn padded_pair_jobs(
        &self,
        password: Candidate<'_>,
        first: Option<&StoredHash>,
        second: Option<&StoredHash>,
        padding: &[HashParameters],
    ) -> Result<(Vec<Job>, PairAnswers), HashError> {
        let mut entries: Vec<(u64, Role, Job, oneshot::Receiver<VerifyResult>)> =
            Vec::with_capacity(2 + 2 * padding.len());
        for (role, slot) in [(Role::First, first), (Role::Second, second)] {
            // The dummy stands in for a missing hash here too: parsing it costs what parsing
            // a real one does, so this step says nothing about which one it was.
            let own = self.parameters_of(slot.unwrap_or(&self.shared.dummy)).ok();
            let (job, answer) = self.verify_job(password, slot);
            entries.push((own.map_or(0, |p| p.work()), role, job, answer));
            for params in padding {
                // A dummy stands in for a hash of the set: wrapped ones run the legacy
                // scheme too, on the password as typed, exactly as a real one does. Every
                // set's dummy is built, and every one but the hash's own set's is parsed
                // (the hash itself was, above): so a login builds and parses the same texts
                // whichever set its hash is in (a wrapped text takes longer to read than a
                // PHC string, which an imported username's login must not show).
                let dummy = params.dummy()?;
                if Some(*params) == own {
                    continue;
                }
                std::hint::black_box(self.parameters_of(&dummy).ok());
                let (job, answer) = self.verify_job(password, Some(&dummy));
                entries.push((params.work(), Role::Pad, job, answer));
            }
        }
        // The workers take jobs in queue order, so the order must not depend on which job is
        // real: costliest first, whatever the username (the same jobs then finish at the
        // same times on every login).
        entries.sort_by_key(|(work, ..)| std::cmp::Reverse(*work));
        Ok(entries.into_iter().map(|(_, role, job, answer)| (job, (role, answer))).unzip())
    }

    /// The parameters new hashes are made with.
    pub fn current_parameters(&self) -> HashParameters {
        let p = &self.shared.params;
        HashParameters { legacy: None, memory_kib: p.m_cost(), iterations: p.t_cost(), parallelism: p.p_cost() }
    }

    /// The pepper key id `stored` (or, for `None`, the dummy) names, if this pool lacks it:
    /// read without parsing the rest, so it costs a short scan whatever the hash's shape and
    /// a login can ask before anything is charged. A malformed id is left to verification
    /// (that row's damage, answered as a mismatch).
    pub(crate) fn missing_pepper(&self, stored: Option<&StoredHash>) -> Option<String> {
        use base64ct::{Base64Unpadded, Encoding};
        const FIELD: &str = ",keyid=";
        let text = stored.unwrap_or(&self.shared.dummy).as_phc();
        let rest = &text[text.find(FIELD)? + FIELD.len()..];
        let end = rest.find(['$', ',']).unwrap_or(rest.len());
        let mut bytes = [0u8; 8];
        let named = Base64Unpadded::decode(&rest[..end], &mut bytes).ok()?;
        let id = PepperId::from_stored(named)?;
        self.shared.peppers.key(&id).is_none().then(|| id.as_str().to_owned())
    }

    /// The parameter sets of hashes this pool has wrapped that no census has found yet.
    pub(crate) fn wrapped_sets(&self) -> Vec<HashParameters> {
        self.shared.wrapped_sets.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// A census found `found` in the store: from now on the census pads to those (and drops
    /// them once their last hash is upgraded), so the pool stops remembering them.
    pub(crate) fn census_found(&self, found: &[HashParameters]) {
        let mut sets = self.shared.wrapped_sets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        sets.retain(|set| !found.contains(set));
    }

    /// Would replacing `stored` after a login with `as_typed` adopt a password other than
    /// the one it was made from? Plain bcrypt reads only the first 72 bytes, so a longer
    /// typed password matches whatever follows them: keep the imported hash (the owner's
    /// own password still works) rather than make the variant typed the only one.
    pub(crate) fn reads_only_a_prefix(&self, stored: &StoredHash, as_typed: &[u8]) -> bool {
        as_typed.len() > 72
            && wrapped::is_wrapped(stored)
            && wrapped::parse(stored, &self.shared.legacy, self.shared.max_memory_kib)
                .is_ok_and(|w| matches!(w.scheme, LegacyScheme::Bcrypt { .. }))
    }

    /// The text every hash this pool makes now starts with (the current parameters and
    /// pepper key id).
    pub fn current_prefix(&self) -> &str {
        self.shared.dummy.phc_prefix()
    }

    /// Does `stored` name a pepper key this pool lacks? Reads the key id only.
    ///
    /// # Errors
    /// [`HashError::UnknownPepper`] naming the key; [`HashError::Malformed`] if `stored`
    /// cannot be parsed.
    pub fn check_pepper(&self, stored: &StoredHash) -> Result<(), HashError> {
        let params = if wrapped::is_wrapped(stored) {
            wrapped::parse(stored, &self.shared.legacy, self.shared.max_memory_kib)?.params
        } else {
            parse(stored, self.shared.max_memory_kib)?.params
        };
        match params.keyid() {
            [] => Ok(()),
            named => pepper_key(&self.shared.peppers, named).map(drop),
        }
    }

    /// The parameters of `stored` (plain or wrapped), within this pool's bounds, without
    /// hashing anything.
    ///
    /// # Errors
    /// As [`StoredHash::parameters`].
    pub fn parameters_of(&self, stored: &StoredHash) -> Result<HashParameters, HashError> {
        stored.parameters(self.shared.max_memory_kib, &self.shared.legacy)
    }

    /// Wrap an imported hash for storing: its output through Argon2id with the current
    /// parameters and a fresh salt, on a worker thread. The result verifies the password
    /// the other system hashed (as typed), and is replaced at its contact's next login.
    ///
    /// # Errors
    /// [`HashError::ParamsTooLarge`] for a hash whose cost is above this pool's limits
    /// (parsed with looser ones): it could never be verified here; [`HashError::Overloaded`]
    /// at once when the queue is full.
    pub async fn wrap(&self, imported: &LegacyHash) -> Result<StoredHash, HashError> {
        let scheme = imported.scheme();
        if LegacyScheme::from_params_text(&scheme.params_text(), &self.shared.legacy) != Ok(scheme) {
            return Err(HashError::ParamsTooLarge);
        }
        // Padded to from now on, by this instance (other instances at their next census).
        let set = HashParameters { legacy: Some(scheme), ..self.current_parameters() };
        {
            let mut sets = self.shared.wrapped_sets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if !sets.contains(&set) {
                sets.push(set);
            }
        }
        let (reply, answer) = oneshot::channel();
        let output = Zeroizing::new(imported.output().to_vec());
        self.submit([Job::Wrap { scheme: imported.scheme(), salt: imported.salt().to_vec(), output, reply }])?;
        answer.await.map_err(|_| HashError::WorkersGone)?
    }

    fn verify_job(
        &self,
        password: Candidate<'_>,
        stored: Option<&StoredHash>,
    ) -> (Job, oneshot::Receiver<VerifyResult>) {
        let stored = stored.unwrap_or(&self.shared.dummy).clone();
        let (reply, answer) = oneshot::channel();
        let job = Job::Verify {
            password: Zeroizing::new(password.normalized().to_vec()),
            as_typed: Zeroizing::new(password.as_typed().to_vec()),
            stored,
            reply,
        };
        (job, answer)
    }

    /// Is `stored` the wrapped form of `imported` itself (not yet replaced at a login)? Cheap
    /// when it is not (another scheme, cost or salt: every tool draws a fresh salt for each
    /// hash it makes); otherwise one Argon2id over `imported`'s output with `stored`'s salt
    /// and parameters, compared in constant time, so that a hash re-made with the same salt
    /// (a changed password on a system that keeps salts) is told apart.
    ///
    /// # Errors
    /// [`HashError::Overloaded`] when the queue is full; [`HashError::UnknownPepper`] for a
    /// stored hash under a key this pool lacks.
    pub async fn wraps(&self, stored: &StoredHash, imported: &LegacyHash) -> Result<bool, HashError> {
        let same_salt = wrapped::is_wrapped(stored)
            && wrapped::parse(stored, &self.shared.legacy, self.shared.max_memory_kib)
                .is_ok_and(|w| w.scheme == imported.scheme() && w.legacy_salt == imported.salt());
        if !same_salt {
            return Ok(false);
        }
        let (reply, answer) = oneshot::channel();
        let output = Zeroizing::new(imported.output().to_vec());
        self.submit([Job::CheckWrap { stored: stored.clone(), output, reply }])?;
        answer.await.map_err(|_| HashError::WorkersGone)?
    }

    /// Is `stored` a wrapped imported hash (as opposed to this library's own Argon2id)?
    pub fn is_wrapped(&self, stored: &StoredHash) -> bool {
        wrapped::is_wrapped(stored)
    }

    /// Was `stored` made with other parameters than the current ones, or by another system?
    pub(crate) fn needs_rehash(&self, stored: &StoredHash) -> bool {
        wrapped::is_wrapped(stored)
            || PasswordHash::new(stored.as_phc())
                .ok()
                .and_then(|phc| Params::try_from(&phc).ok().map(|p| (phc.version, p)))
                .is_none_or(|(version, p)| {
                    version != Some(Version::V0x13.into())
                    || p.m_cost() != self.shared.params.m_cost()
                    || p.t_cost() != self.shared.params.t_cost()
                    || p.p_cost() != self.shared.params.p_cost()
                    // Made with another pepper key (or none): re-made with the current one.
                    || p.keyid() != self.shared.params.keyid()
                })
    }

    fn submit<I>(&self, request: I) -> Result<(), HashError>
    where
        I: IntoIterator<Item = Job>,
        I::IntoIter: ExactSizeIterator,
    {
        self.jobs.0.try_admit().map_err(push_error)?;
        self.jobs.0.push_admitted(request).map_err(push_error)
    }
}

fn push_error(e: PushError) -> HashError {
    match e {
        PushError::Full => HashError::Overloaded,
        PushError::Closed => HashError::WorkersGone,
    }
}

/// Tells the queue a worker has ended, on return and on unwinding alike.
struct ExitNotice<'q>(&'q JobQueue<Job>);

impl Drop for ExitNotice<'_> {
    fn drop(&mut self) {
        self.0.worker_exited();
    }
}

fn worker(queue: &JobQueue<Job>, shared: &PoolShared) {
    let _notice = ExitNotice(queue);
    let mut memory = vec![Block::default(); shared.params.block_count()];
    // `None` once every HashPool clone is gone and the queue is drained.
    while let Some(job) = queue.pop() {
        match job {
            Job::Hash { password, reply } => {
                shared.operations.fetch_add(1, Ordering::Relaxed);
                // A caller that gave up (its future dropped) no longer wants the answer.
                let _ = reply.send(hash_with(shared, &password, &mut memory));
            }
            Job::Verify { password, as_typed, stored, reply } => {
                shared.operations.fetch_add(1, Ordering::Relaxed);
                let candidate = Candidate::new(&password, &as_typed);
                let _ = reply.send(verify_with(shared, candidate, &stored, &mut memory));
            }
            Job::Wrap { scheme, salt, output, reply } => {
                shared.operations.fetch_add(1, Ordering::Relaxed);
                let _ = reply.send(wrap_with(shared, &scheme, &salt, &output, &mut memory));
            }
            Job::CheckWrap { stored, output, reply } => {
                shared.operations.fetch_add(1, Ordering::Relaxed);
                let _ = reply.send(check_wrap(shared, &stored, &output, &mut memory));
            }
        }
    }
}

/// The pepper key a stored hash names. An id no [`PepperId`] can have is damage to one row
/// (malformed, a mismatch for its contact); a well-formed id the service lacks is a
/// configuration error (which stops every login alike, see the census).
fn pepper_key<'p>(peppers: &'p Peppers, named: &[u8]) -> Result<&'p [u8], HashError> {
    let id = PepperId::from_stored(named).ok_or(HashError::Malformed)?;
    peppers.key(&id).ok_or_else(|| HashError::UnknownPepper(id.as_str().to_owned()))
}

/// Argon2id of `password` with `params`, keyed with the pepper `params` names, if any.
fn compute(
    shared: &PoolShared,
    params: &Params,
    version: Version,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
    memory: &mut Vec<Block>,
) -> Result<(), HashError> {
    let key = match params.keyid() {
        [] => None,
        named => Some(pepper_key(&shared.peppers, named)?),
    };
    let needed = params.block_count();
    if memory.len() < needed {
        memory.resize(needed, Block::default());
    }
    let argon = match key {
        None => Argon2::new(Algorithm::Argon2id, version, params.clone()),
        Some(key) => {
            Argon2::new_with_secret(key, Algorithm::Argon2id, version, params.clone()).map_err(invalid_params)?
        }
    };
    argon.hash_password_into_with_memory(password, salt, out, &mut memory[..needed]).map_err(invalid_params)
}

fn wrap_with(
    shared: &PoolShared,
    scheme: &LegacyScheme,
    legacy_salt: &[u8],
    output: &[u8],
    memory: &mut Vec<Block>,
) -> Result<StoredHash, HashError> {
    let mut salt = [0u8; SALT_BYTES];
    crate::random::fill(&mut salt);
    let mut out = Zeroizing::new([0u8; OUTPUT_BYTES]);
    let params = &shared.params;
    compute(shared, params, Version::V0x13, output, &salt, out.as_mut_slice(), memory)?;
    wrapped::encode(scheme, legacy_salt, params, &salt, out.as_slice())
}

fn hash_with(shared: &PoolShared, password: &[u8], memory: &mut Vec<Block>) -> Result<StoredHash, HashError> {
    let mut salt = [0u8; SALT_BYTES];
    crate::random::fill(&mut salt);
    let mut out = Zeroizing::new([0u8; OUTPUT_BYTES]);
    let params = &shared.params;
    compute(shared, params, Version::V0x13, password, &salt, out.as_mut_slice(), memory)?;
    encode(params, &salt, out.as_slice())
}

/// Argon2 parameters of a stored hash, after parsing and bounds checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HashParameters {
    /// For a wrapped imported hash, the other system's scheme and cost run before Argon2id.
    pub legacy: Option<LegacyScheme>,
    /// Memory in KiB (m).
    pub memory_kib: u32,
    /// Passes (t).
    pub iterations: u32,
    /// Lanes (p).
    pub parallelism: u32,
}

impl HashParameters {
    /// The text every stored hash with these parameters starts with (up to the salt), e.g.
    /// `$argon2id$v=19$m=19456,t=2,p=1$`, or `$ca-legacy$bcrypt,c=12$m=19456,t=2,p=1$` for
    /// wrapped imported hashes.
    pub fn phc_prefix(&self) -> String {
        let argon = wrapped::argon2_fields(self.memory_kib, self.iterations, self.parallelism);
        match &self.legacy {
            None => format!("$argon2id$v=19${argon}$"),
            Some(scheme) => format!("{}{}${argon}$", wrapped::WRAPPED_PREFIX, scheme.params_text()),
        }
    }

    /// Work of one verification, to order jobs by: Argon2's KiB-passes (memory x passes),
    /// plus the legacy scheme's estimate (microseconds, about one KiB-pass each).
    fn work(&self) -> u64 {
        let argon = u64::from(self.memory_kib) * u64::from(self.iterations);
        argon.saturating_add(self.legacy.map_or(0, |scheme| scheme.work()))
    }

    /// A well-formed hash with these parameters that matches no password.
    fn dummy(&self) -> Result<StoredHash, HashError> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, Some(OUTPUT_BYTES))
            .map_err(invalid_params)?;
        match &self.legacy {
            None => dummy_hash(&params),
            Some(scheme) => {
                let mut legacy_salt = vec![0u8; scheme.dummy_salt_len()];
                let mut salt = [0u8; SALT_BYTES];
                let mut out = [0u8; OUTPUT_BYTES];
                crate::random::fill(&mut legacy_salt);
                crate::random::fill(&mut salt);
                crate::random::fill(&mut out);
                wrapped::encode(scheme, &legacy_salt, &params, &salt, &out)
            }
        }
    }
}

impl StoredHash {
    /// The text up to the salt (`$argon2id$v=19$m=19456,t=2,p=1$`): what every hash made
    /// with the same parameters shares. The whole text if it is not a PHC string.
    pub fn phc_prefix(&self) -> &str {
        let phc = self.as_phc();
        phc.match_indices('$').nth(3).map_or(phc, |(i, _)| &phc[..=i])
    }
}

/// A stored hash taken apart, ready to verify against.
struct Parsed {
    params: Params,
    version: Version,
    salt: Vec<u8>,
    expected: Output,
}

/// Parse a stored PHC string (untrusted: it comes from storage) and refuse parameters above
/// the bounds before anything is allocated.
fn parse(stored: &StoredHash, max_memory_kib: u32) -> Result<Parsed, HashError> {
    let phc = PasswordHash::new(stored.as_phc()).map_err(|_| HashError::Malformed)?;
    if phc.algorithm != ARGON2ID_IDENT {
        return Err(HashError::Malformed);
    }
    let version = phc.version.map_or(Ok(Version::V0x13), Version::try_from).map_err(|_| HashError::Malformed)?;
    let params = Params::try_from(&phc).map_err(|_| HashError::Malformed)?;
    if params.m_cost() > max_memory_kib
        || params.t_cost() > MAX_STORED_ITERATIONS
        || params.p_cost() > MAX_STORED_PARALLELISM
    {
        return Err(HashError::ParamsTooLarge);
    }
    let (Some(salt), Some(expected)) = (phc.salt, phc.hash) else {
        return Err(HashError::Malformed);
    };
    Ok(Parsed { params, version, salt: salt.as_ref().to_vec(), expected })
}

impl StoredHash {
    /// Parse this hash and check its parameters against `max_memory_kib`, the fixed bounds
    /// on passes (64) and lanes (16), and for a wrapped imported hash `legacy`, without
    /// hashing anything.
    ///
    /// # Errors
    /// [`HashError::Malformed`] for anything but a complete Argon2id PHC string or wrapped
    /// hash (a wrapped one whose legacy cost is above `legacy` included: no import writes
    /// one); [`HashError::ParamsTooLarge`] above the Argon2 bounds.
    pub fn parameters(&self, max_memory_kib: u32, legacy: &LegacyHashLimits) -> Result<HashParameters, HashError> {
        if wrapped::is_wrapped(self) {
            let w = wrapped::parse(self, legacy, max_memory_kib)?;
            let p = w.params;
            return Ok(HashParameters {
                legacy: Some(w.scheme),
                memory_kib: p.m_cost(),
                iterations: p.t_cost(),
                parallelism: p.p_cost(),
            });
        }
        let p = parse(self, max_memory_kib)?.params;
        Ok(HashParameters { legacy: None, memory_kib: p.m_cost(), iterations: p.t_cost(), parallelism: p.p_cost() })
    }
}

/// Argon2id over `output` with `stored`'s own parameters and salt, compared with its output.
fn check_wrap(
    shared: &PoolShared,
    stored: &StoredHash,
    output: &[u8],
    memory: &mut Vec<Block>,
) -> Result<bool, HashError> {
    let w = wrapped::parse(stored, &shared.legacy, shared.max_memory_kib)?;
    wrapped_output_matches(shared, &w, output, memory)
}

/// Does Argon2id over `output` (a legacy scheme's output), with the wrapped hash's own
/// parameters and salt, give the wrapped hash's output? `Output` compares in constant time.
fn wrapped_output_matches(
    shared: &PoolShared,
    w: &wrapped::Wrapped,
    output: &[u8],
    memory: &mut Vec<Block>,
) -> Result<bool, HashError> {
    let mut out = Zeroizing::new([0u8; OUTPUT_BYTES]);
    compute(shared, &w.params, Version::V0x13, output, &w.salt, out.as_mut_slice(), memory)?;
    let expected = Output::new(&w.expected).map_err(|_| HashError::Malformed)?;
    Ok(Output::new(out.as_slice()).is_ok_and(|actual| actual == expected))
}

fn verify_with(
    shared: &PoolShared,
    password: Candidate<'_>,
    stored: &StoredHash,
    memory: &mut Vec<Block>,
) -> Result<bool, HashError> {
    if wrapped::is_wrapped(stored) {
        let w = wrapped::parse(stored, &shared.legacy, shared.max_memory_kib)?;
        // The other system's output for the password as it was typed (wiped on drop), then
        // Argon2id over it, as when it was wrapped.
        let legacy = w.scheme.compute(password.as_typed(), &w.legacy_salt).map_err(|_| HashError::Malformed)?;
        return wrapped_output_matches(shared, &w, &legacy, memory);
    }
    let parsed = parse(stored, shared.max_memory_kib)?;
    let mut out = Zeroizing::new(vec![0u8; parsed.expected.len()]);
    compute(shared, &parsed.params, parsed.version, password.normalized(), &parsed.salt, &mut out, memory)?;
    Ok(Output::new(&out).is_ok_and(|actual| actual == parsed.expected))
}

fn encode(params: &Params, salt: &[u8], out: &[u8]) -> Result<StoredHash, HashError> {
    let phc = PasswordHash {
        algorithm: ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(|_| HashError::Malformed)?,
        salt: Some(Salt::new(salt).map_err(|_| HashError::Malformed)?),
        hash: Some(Output::new(out).map_err(|_| HashError::Malformed)?),
    };
    Ok(StoredHash::from_phc(phc.to_string()))
}

/// A well-formed hash with the current parameters that matches no password (its output is
/// random, not computed), so verifying against it costs exactly one real verification.
fn dummy_hash(params: &Params) -> Result<StoredHash, HashError> {
    let mut salt = [0u8; SALT_BYTES];
    let mut out = [0u8; OUTPUT_BYTES];
    crate::random::fill(&mut salt);
    crate::random::fill(&mut out);
    encode(params, &salt, &out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
    }

    fn pool() -> HashPool {
        HashPool::new(&Argon2Settings::danger_insecure_for_tests(), 2, 8).unwrap()
    }

    #[test]
    fn hash_verifies_and_matches_the_reference_implementation() {
        block_on(async {
            let pool = pool();
            let h = pool.hash(b"plum-Kettle-42").await.unwrap();
            assert!(h.as_phc().starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
            assert!(pool.verify(b"plum-Kettle-42", Some(&h)).await.unwrap());
            assert!(!pool.verify(b"plum-Kettle-43", Some(&h)).await.unwrap());
            assert!(!pool.verify(b"plum-Kettle-42", None).await.unwrap());
            // The reference verifier (fresh allocation, argon2's own PHC handling) agrees.
            use argon2::PasswordVerifier;
            let phc = PasswordHash::new(h.as_phc()).unwrap();
            assert!(Argon2::default().verify_password(b"plum-Kettle-42", &phc).is_ok());
            assert_eq!(pool.operations(), 4);
            assert!(!pool.needs_rehash(&h));
        });
    }

    #[test]
    fn verifies_hashes_made_elsewhere_with_other_parameters() {
        block_on(async {
            use argon2::PasswordHasher;
            let params = Params::new(128, 2, 1, None).unwrap();
            let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
            let salt = [7u8; 16];
            let phc = argon.hash_password_with_salt(b"old-pass-1", &salt).unwrap().to_string();
            let stored = StoredHash::from_phc(phc);
            let pool = pool();
            assert!(pool.verify(b"old-pass-1", Some(&stored)).await.unwrap());
            assert!(pool.needs_rehash(&stored));
        });
    }

    #[test]
    fn refuses_absurd_or_malformed_stored_hashes_without_allocating() {
        block_on(async {
            let pool = pool();
            let huge = StoredHash::from_phc(
                "$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
            );
            assert!(matches!(pool.verify(b"x", Some(&huge)).await, Err(HashError::ParamsTooLarge)));
            let slow = StoredHash::from_phc(
                "$argon2id$v=19$m=64,t=100000,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
            );
            assert!(matches!(pool.verify(b"x", Some(&slow)).await, Err(HashError::ParamsTooLarge)));
            for bad in [
                "",
                "plaintext",
                "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
                "$argon2id$v=19$m=64,t=1,p=1",
            ] {
                assert!(
                    matches!(pool.verify(b"x", Some(&StoredHash::from_phc(bad))).await, Err(HashError::Malformed)),
                    "{bad}"
                );
            }
        });
    }

    #[test]
    fn a_pair_answers_each_hash_separately_and_takes_one_queue_slot() {
        block_on(async {
            let pool = HashPool::new(&Argon2Settings::danger_insecure_for_tests(), 1, 1).unwrap();
            let good = pool.hash(b"plum-Kettle-42").await.unwrap();
            let broken = StoredHash::from_phc("plaintext");
            let (a, b) = pool.verify_pair(b"plum-Kettle-42", Some(&good), Some(&broken)).await.unwrap();
            assert!(a.unwrap(), "the first answers for itself");
            assert!(matches!(b, Err(HashError::Malformed)), "the second's failure is its own");
            let (a, b) = pool.verify_pair(b"plum-Kettle-42", None, Some(&good)).await.unwrap();
            assert!(!a.unwrap() && b.unwrap(), "None is the dummy, as in verify");
            assert_eq!(pool.operations(), 5);
        });
    }

    #[test]
    fn a_full_queue_answers_overloaded_at_once() {
        block_on(async {
            // One slow worker, a queue of one: the third concurrent request must be refused.
            let slow = Argon2Settings::default();
            let pool = HashPool::new(&slow, 1, 1).unwrap();
            let pending: Vec<_> = (0..4).map(|_| pool.hash(b"x")).collect();
            let results = futures_join_all(pending).await;
            assert!(results.iter().any(|r| matches!(r, Err(HashError::Overloaded))));
            assert!(results.iter().any(Result::is_ok));
        });
    }

    /// Poll all futures to completion concurrently on one task (enough for this test).
    async fn futures_join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
        let mut boxed: Vec<_> = futures.into_iter().map(Box::pin).collect();
        let mut out: Vec<Option<F::Output>> = boxed.iter().map(|_| None).collect();
        std::future::poll_fn(|cx| {
            let mut done = true;
            for (f, slot) in boxed.iter_mut().zip(out.iter_mut()) {
                if slot.is_none() {
                    match f.as_mut().poll(cx) {
                        std::task::Poll::Ready(v) => *slot = Some(v),
                        std::task::Poll::Pending => done = false,
                    }
                }
            }
            if done { std::task::Poll::Ready(()) } else { std::task::Poll::Pending }
        })
        .await;
        out.into_iter().flatten().collect()
    }
}
