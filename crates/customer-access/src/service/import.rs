//! Bulk import (see [`crate::import`]): each row checked as it arrives, then planned against
//! what the store holds and written in batches, one transaction each.
//!
//! A batch that loses a race (another writer took a username or changed a contact between
//! the lookup and the write) is written again row by row, each row planned afresh, so one
//! row's conflict never refuses its neighbours.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher as _;

use customer_access_policy::UsernameKey;
use secrecy::ExposeSecret;

use crate::actor::{Actor, Staff};
use crate::audit::{AuditEvent, AuditKind};
use crate::clock::{Clock, Timestamp};
use crate::credential::{ContactRecord, Credentials, StoredHash};
use crate::domain::{Contact, Retailer};
use crate::error::ServiceError;
use crate::ids::{ContactId, RetailerId};
use crate::import::{
    IMPORT_BATCH_ROWS, ImportRefusal, ImportReport, ImportRow, MAX_IMPORTED_HASH_SETTINGS, RowChange, RowOutcome,
};
use crate::input::{EmailAddress, InputError, check_text};
use crate::legacy::{LegacyHash, LegacyScheme};
use crate::mailer::{Mailer, MessageKind};
use crate::state::{IssueReason, Transition, change_email, set_login_enabled};
use crate::store::import::{
    ExternalId, ImportBatch, ImportRetailer, ImportedUpdate, NewImportedContact, NewImportedRetailer, RetailerRename,
};
use crate::store::{NewContactRecord, Store, StoreErrorKind};

use super::budget::Budgets;
use super::{AccessService, MAX_SAVE_ATTEMPTS};

/// Longest display or retailer name, in bytes (as for staff-created ones).
const MAX_NAME_BYTES: usize = 200;

/// A running import: feed it rows with [`push`](Self::push), then [`finish`](Self::finish).
/// Made by [`AccessService::importer`].
#[derive(Debug)]
pub struct Importer<'s, S, M, C> {
    service: &'s AccessService<S, M, C>,
    staff: Staff,
    pending: Vec<Checked>,
    /// Username keys of `pending`.
    pending_keys: HashSet<String>,
    /// The name each retailer had in the first row of this import naming it.
    retailer_names: HashMap<ExternalId, String>,
    /// The contact external ids of this run's rows, as 64-bit keyed digests (8 bytes a row;
    /// two ids share one with odds of about n^2 / 2^65, which would refuse a row wrongly as
    /// repeated, never accept one).
    seen: HashSet<u64>,
    seen_keys: std::hash::RandomState,
    /// Imported hash schemes and costs in use: those the store held when the import started,
    /// and those this run's rows brought.
    legacy_sets: Vec<LegacyScheme>,
}

/// A row whose every field passed its checks.
#[derive(Debug)]
struct Checked {
    line: u64,
    external_id: ExternalId,
    retailer: ExternalId,
    retailer_name: String,
    username: String,
    key: UsernameKey,
    email: EmailAddress,
    display_name: String,
    login_enabled: bool,
    hash: Option<LegacyHash>,
}

impl Checked {
    fn outcome(&self, result: Result<RowChange, ImportRefusal>) -> RowOutcome {
        RowOutcome { line: self.line, external_id: self.external_id.as_str().to_owned(), result }
    }
}

/// What a row comes to against the stored state, before any hashing.
enum Decision {
    Refuse(ImportRefusal),
    Unchanged,
    /// The contact is as the row says; its retailer's name is not.
    RenameOnly,
    Create,
    /// Change the stored contact.
    Update(Box<ContactRecord>),
}

/// A planned batch, and what became of each row if it is written.
struct Plan {
    batch: ImportBatch,
    outcomes: Vec<RowOutcome>,
}

impl<S: Store, M: Mailer, C: Clock> AccessService<S, M, C> {
    /// Start a bulk import run by `staff` (sales admins only: an import creates retailers).
    ///
    /// Rows are checked as they are pushed and written in batches of [`IMPORT_BATCH_ROWS`];
    /// memory holds one batch, whatever the size of the source. Imported password hashes are
    /// stored wrapped ([`HashPool::wrap`](crate::hashing::HashPool::wrap)) and replaced by
    /// Argon2id at each contact's next login; contacts without one get no e-mail until
    /// [`invite_imported`](Self::invite_imported).
    ///
    /// # Errors
    /// [`ServiceError::Forbidden`] for an iPad user (audited); the configuration errors of a
    /// login (a stored hash under a pepper key the service lacks).
    ///
    /// ```
    /// # use customer_access::*;
    /// # use customer_access::import::{ImportRow, RowChange};
    /// # tokio_test_block_on(async {
    /// # let mut policy = SecurityPolicy::default();
    /// # policy.argon2 = customer_access::policy::Argon2Settings::danger_insecure_for_tests();
    /// let service = AccessService::new(MemoryStore::new(), RecordingMailer::new(), SystemClock, policy)?;
    /// let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    /// let row = ImportRow {
    ///     external_id: "C-1".into(),
    ///     retailer_external_id: "R-1".into(),
    ///     retailer_name: "Corner Shop".into(),
    ///     username: "ana".into(),
    ///     email: "ana@example.com".into(),
    ///     display_name: "Ana".into(),
    ///     login_enabled: true,
    ///     password_hash: None,
    /// };
    /// let report = service.import(&admin, [(2, row.clone())]).await?;
    /// assert_eq!(report.created, 1);
    /// // Running it again changes nothing.
    /// let report = service.import(&admin, [(2, row)]).await?;
    /// assert_eq!(report.unchanged, 1);
    /// # Ok::<_, ServiceError>(()) }).unwrap();
    /// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
    /// # }
    /// ```
    pub async fn importer(&self, staff: &Staff) -> Result<Importer<'_, S, M, C>, ServiceError> {
        if !matches!(staff, Staff::SalesAdmin { .. }) {
            return self.deny(staff, None, None).await;
        }
        // Every login pads to every scheme and cost in use: count them as the census does.
        let legacy_sets = self.hash_padding().await?.into_iter().filter_map(|set| set.legacy).collect();
        Ok(Importer {
            service: self,
            staff: staff.clone(),
            pending: Vec::new(),
            pending_keys: HashSet::new(),
            retailer_names: HashMap::new(),
            seen: HashSet::new(),
            seen_keys: std::hash::RandomState::new(),
            legacy_sets,
        })
    }

    /// Import every row of `rows` (each with its line number) and report the counts and
    /// every refused row. For sources too large to keep the report of, drive an
    /// [`importer`](Self::importer) yourself.
    ///
    /// # Errors
    /// As [`importer`](Self::importer) and [`Importer::push`].
    pub async fn import(
        &self,
        staff: &Staff,
        rows: impl IntoIterator<Item = (u64, ImportRow)>,
    ) -> Result<ImportReport, ServiceError> {
        let mut importer = self.importer(staff).await?;
        let mut report = ImportReport::default();
        for (line, row) in rows {
            report.add(importer.push(line, row).await?);
        }
        report.add(importer.finish().await?);
        Ok(report)
    }

    /// The contacts of `retailer` an invitation can go to: login enabled, never given a
    /// password or a temporary password (imported without a hash), not removed, and no
    /// e-mail hold running.
    ///
    /// # Errors
    /// [`ServiceError::Forbidden`] (audited); store failures.
    pub async fn uninvited_contacts(&self, staff: &Staff, retailer: RetailerId) -> Result<Vec<Contact>, ServiceError> {
        self.authorize(staff, retailer, None).await?;
        let now = self.now();
        let contacts = self.inner.store.contacts_of_retailer(retailer).await?;
        Ok(contacts.into_iter().filter(|r| invitable(r, now)).map(|r| r.contact).collect())
    }

    /// E-mail a first temporary password to an imported contact that has neither a password
    /// nor a temporary password (an invitation, as [`invite`](Self::invite) sends). Returns
    /// `false`, sending nothing, when the contact no longer qualifies (see
    /// [`uninvited_contacts`](Self::uninvited_contacts)).
    ///
    /// # Errors
    /// [`ServiceError::Forbidden`]; [`ServiceError::ContactNotFound`];
    /// [`ServiceError::Delivery`] (the temporary password was withdrawn); store and hashing
    /// failures.
    pub async fn invite_imported(&self, staff: &Staff, contact: ContactId) -> Result<bool, ServiceError> {
        let record = self.load_for_staff(staff, contact).await?;
        if !invitable(&record, self.now()) {
            return Ok(false);
        }
        let actor = Actor::Staff(staff.clone());
        let issued = self.issue(record, &actor, IssueReason::Invitation, &[], &Budgets::none()).await?;
        let Some((saved, temporary, hash)) = issued else {
            return Ok(false);
        };
        self.deliver(&saved, &temporary, &hash, MessageKind::Invitation, None).await.map_err(ServiceError::Delivery)?;
        Ok(true)
    }
}

/// Can an invitation go to this contact now?
fn invitable(record: &ContactRecord, now: Timestamp) -> bool {
    let c = &record.credentials;
    record.contact.login_enabled
        && !record.contact.is_removed()
        && c.password.is_none()
        && c.temporary.is_none()
        && !c.email_hold.as_ref().is_some_and(|h| h.active(now))
}

impl<S: Store, M: Mailer, C: Clock> Importer<'_, S, M, C> {
    /// Take one row. Returns what was decided meanwhile: this row if it was refused at once,
    /// and every row of a batch written now.
    ///
    /// # Errors
    /// Store, hashing and mailer-independent failures end the import: the batches written
    /// so far stay, and running the import again continues where it stopped (rows written
    /// come back [`RowChange::Unchanged`]).
    pub async fn push(&mut self, line: u64, row: ImportRow) -> Result<Vec<RowOutcome>, ServiceError> {
        let checked = match self.check(line, &row) {
            Ok(checked) => checked,
            Err(refusal) => return Ok(vec![RowOutcome { line, external_id: row.external_id, result: Err(refusal) }]),
        };
        // A row whose username an earlier pending row has waits for it to be written, so it
        // is refused against the store as taken (an external id never repeats: see `check`).
        let mut decided = Vec::new();
        if self.pending_keys.contains(checked.key.as_str()) {
            decided = self.flush().await?;
        }
        self.pending_keys.insert(checked.key.as_str().to_owned());
        self.pending.push(checked);
        if self.pending.len() >= IMPORT_BATCH_ROWS {
            decided.extend(self.flush().await?);
        }
        Ok(decided)
    }

    /// Write the rows still pending and return what became of them.
    ///
    /// # Errors
    /// As [`push`](Self::push).
    pub async fn finish(mut self) -> Result<Vec<RowOutcome>, ServiceError> {
        self.flush().await
    }

    /// Every check of one row that needs no store: nothing is looked up or hashed for a row
    /// that fails one.
    fn check(&mut self, line: u64, row: &ImportRow) -> Result<Checked, ImportRefusal> {
        let policy = &self.service.inner.policy;
        let external_id = ExternalId::parse(&row.external_id)
            .map_err(|error| ImportRefusal::ExternalId { field: "external_id", error })?;
        let retailer = ExternalId::parse(&row.retailer_external_id)
            .map_err(|error| ImportRefusal::ExternalId { field: "retailer_external_id", error })?;
        check_text("retailer name", &row.retailer_name, MAX_NAME_BYTES)?;
        let key = policy.username.canonicalize(&row.username).map_err(InputError::Username)?;
        let email = EmailAddress::parse(&row.email).map_err(InputError::Email)?;
        check_text("display name", &row.display_name, MAX_NAME_BYTES)?;
        let hash = row
            .password_hash
            .as_ref()
            .map(|h| LegacyHash::parse(h.expose_secret(), &policy.legacy_hashes))
            .transpose()
            .map_err(ImportRefusal::Hash)?;
        let named = self.retailer_names.entry(retailer.clone()).or_insert_with(|| row.retailer_name.clone());
        if *named != row.retailer_name {
            return Err(ImportRefusal::RetailerNameDiffers);
        }
        if let Some(scheme) = hash.as_ref().map(LegacyHash::scheme)
            && !self.legacy_sets.contains(&scheme)
        {
            if self.legacy_sets.len() >= MAX_IMPORTED_HASH_SETTINGS {
                return Err(ImportRefusal::TooManyHashSettings { max: MAX_IMPORTED_HASH_SETTINGS });
            }
            self.legacy_sets.push(scheme);
        }
        // Last: a row refused for any other reason does not count as seen.
        if !self.seen.insert(self.seen_keys.hash_one(external_id.as_str())) {
            return Err(ImportRefusal::RepeatedInFile);
        }
        Ok(Checked {
            line,
            external_id,
            retailer,
            retailer_name: row.retailer_name.clone(),
            username: row.username.clone(),
            key,
            email,
            display_name: row.display_name.clone(),
            login_enabled: row.login_enabled,
            hash,
        })
    }

    /// Write the pending rows as one batch; if another writer got in between, row by row.
    async fn flush(&mut self) -> Result<Vec<RowOutcome>, ServiceError> {
        let rows = std::mem::take(&mut self.pending);
        self.pending_keys.clear();
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let plan = self.plan(&rows).await?;
        if plan.batch.is_empty() {
            // Every row refused or unchanged: nothing to write (a re-run writes nothing).
            return Ok(plan.outcomes);
        }
        match self.service.inner.store.import_batch(&plan.batch).await {
            Ok(_) => Ok(plan.outcomes),
            Err(e) if raced(e.kind()) => {
                tracing::debug!(rows = rows.len(), "import batch lost a race; writing its rows one by one");
                let mut decided = Vec::with_capacity(rows.len());
                for row in rows {
                    decided.extend(self.write_alone(row).await?);
                }
                Ok(decided)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// One row in its own transaction, planned again after each lost race.
    async fn write_alone(&self, row: Checked) -> Result<Vec<RowOutcome>, ServiceError> {
        let rows = [row];
        for _ in 0..MAX_SAVE_ATTEMPTS {
            let plan = self.plan(&rows).await?;
            if plan.batch.is_empty() {
                return Ok(plan.outcomes);
            }
            match self.service.inner.store.import_batch(&plan.batch).await {
                Ok(_) => return Ok(plan.outcomes),
                Err(e) if raced(e.kind()) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        let [row] = rows;
        Ok(vec![row.outcome(Err(ImportRefusal::ChangedConcurrently))])
    }

    /// Look up what exists of `rows`, decide each, wrap the hashes of new contacts, tell
    /// the previous addresses of e-mail changes, and build the batch.
    async fn plan(&self, rows: &[Checked]) -> Result<Plan, ServiceError> {
        let service = self.service;
        let mut retailer_ids: Vec<ExternalId> = rows.iter().map(|r| r.retailer.clone()).collect();
        retailer_ids.sort();
        retailer_ids.dedup();
        let contact_ids: Vec<ExternalId> = rows.iter().map(|r| r.external_id.clone()).collect();
        let keys: Vec<UsernameKey> = rows.iter().map(|r| r.key.clone()).collect();
        let found = service.inner.store.import_lookup(&retailer_ids, &contact_ids, &keys).await?;
        let retailers: HashMap<ExternalId, Retailer> = found.retailers.into_iter().collect();
        let mut contacts: HashMap<ExternalId, ContactRecord> = found.contacts.into_iter().collect();
        let holders: HashMap<UsernameKey, ContactId> = found.usernames.into_iter().collect();

        let stored: Vec<Option<ContactRecord>> = rows.iter().map(|row| contacts.remove(&row.external_id)).collect();
        let same_hash = self.same_hashes(rows, &stored).await?;
        let decisions: Vec<Decision> = rows
            .iter()
            .zip(stored)
            .zip(same_hash)
            .map(|((row, stored), same)| {
                self.decide(row, retailers.get(&row.retailer), stored, holders.get(&row.key).copied(), same)
            })
            .collect();
        let wrapped = self.wrap_hashes(rows, &decisions).await?;

        let now = service.now();
        let actor = Actor::Staff(self.staff.clone());
        let hold = service.inner.policy.staff_email_change_hold;
        let event = |retailer: Option<RetailerId>, contact: Option<ContactId>, kind| AuditEvent {
            at: now,
            actor: actor.clone(),
            retailer,
            contact,
            kind,
        };
        let mut plan = Plan { batch: ImportBatch::default(), outcomes: Vec::with_capacity(rows.len()) };
        let mut new_retailers: HashMap<&ExternalId, usize> = HashMap::new();
        let mut renamed: HashSet<RetailerId> = HashSet::new();
        for ((row, decision), hash) in rows.iter().zip(decisions).zip(wrapped) {
            let change = match decision {
                Decision::Refuse(refusal) => {
                    plan.outcomes.push(row.outcome(Err(refusal)));
                    continue;
                }
                Decision::Unchanged => RowChange::Unchanged,
                Decision::RenameOnly => RowChange::Updated,
                Decision::Create => {
                    let retailer = match retailers.get(&row.retailer) {
                        Some(existing) => ImportRetailer::Existing(existing.id),
                        None => ImportRetailer::New(*new_retailers.entry(&row.retailer).or_insert_with(|| {
                            plan.batch.new_retailers.push(NewImportedRetailer {
                                external_id: row.retailer.clone(),
                                name: row.retailer_name.clone(),
                                events: vec![event(None, None, AuditKind::RetailerImported)],
                            });
                            plan.batch.new_retailers.len() - 1
                        })),
                    };
                    let known = match retailer {
                        ImportRetailer::Existing(id) => Some(id),
                        _ => None,
                    };
                    plan.batch.new_contacts.push(NewImportedContact {
                        external_id: row.external_id.clone(),
                        retailer,
                        record: NewContactRecord {
                            // Replaced by the store with the id `retailer` comes to.
                            retailer: known.unwrap_or(RetailerId::new(0)),
                            username: row.username.clone(),
                            username_key: row.key.clone(),
                            email: row.email.clone(),
                            display_name: row.display_name.clone(),
                            login_enabled: row.login_enabled,
                            preferences: Default::default(),
                            credentials: Credentials { password: hash, ..Credentials::empty() },
                        },
                        events: vec![event(known, None, AuditKind::ContactImported)],
                    });
                    RowChange::Created
                }
                Decision::Update(stored) => {
                    let mut transition = reimport(&stored, row, now, &actor, hold);
                    if transition.record.contact.email != stored.contact.email {
                        // The previous address is told before anything is written: a row
                        // whose notice fails is refused whole, and a write that fails
                        // after a notice leaves a false alarm, never an untold change.
                        match self.tell_previous_address(&stored, &transition.record).await? {
                            Some(told) => transition.events.push(told),
                            None => {
                                plan.outcomes.push(row.outcome(Err(ImportRefusal::EmailNoticeFailed)));
                                continue;
                            }
                        }
                    }
                    plan.batch.updates.push(ImportedUpdate {
                        expected: stored.credentials.revision,
                        record: transition.record,
                        events: transition.events,
                    });
                    RowChange::Updated
                }
            };
            if change != RowChange::Unchanged
                && let Some(existing) = retailers.get(&row.retailer)
                && existing.name != row.retailer_name
                && renamed.insert(existing.id)
            {
                plan.batch.renamed_retailers.push(RetailerRename {
                    id: existing.id,
                    name: row.retailer_name.clone(),
                    events: vec![event(Some(existing.id), None, AuditKind::RetailerRenamed)],
                });
            }
            plan.outcomes.push(row.outcome(Ok(change)));
        }
        Ok(plan)
    }

    /// Send the notice of an import's e-mail change to the address a hold protects (or the
    /// previous one): the event to store with the change, or `None` (audited) when it could
    /// not be sent.
    async fn tell_previous_address(
        &self,
        before: &ContactRecord,
        after: &ContactRecord,
    ) -> Result<Option<AuditEvent>, ServiceError> {
        let now = self.service.now();
        let active = after.credentials.email_hold.as_ref().filter(|h| h.active(now));
        let told = active.map_or_else(|| before.contact.email.clone(), |h| h.previous.clone());
        match self.service.send_email_change_notice(&self.staff, before, &told, &after.contact.email).await {
            Ok(sent) => Ok(Some(sent)),
            Err(error) => {
                tracing::warn!(%error, contact = %before.contact.id, "e-mail change notice failed; the import row is refused");
                let failed = AuditEvent {
                    at: now,
                    actor: Actor::System,
                    retailer: Some(before.contact.retailer),
                    contact: Some(before.contact.id),
                    kind: AuditKind::EmailChangeNoticeFailed,
                };
                self.service.inner.store.append_audit(&[failed]).await?;
                Ok(None)
            }
        }
    }

    /// For each row, whether its hash is the one its stored contact's wrapped hash was made
    /// from (see [`HashPool::wraps`](crate::hashing::HashPool::wraps)), checked a few at a
    /// time like wrapping.
    async fn same_hashes(&self, rows: &[Checked], stored: &[Option<ContactRecord>]) -> Result<Vec<bool>, ServiceError> {
        let hasher = &self.service.inner.hasher;
        let pairs: Vec<Option<(&StoredHash, &LegacyHash)>> = rows
            .iter()
            .zip(stored)
            .map(|(row, stored)| {
                let current = stored.as_ref()?.credentials.password.as_ref()?;
                Some((current, row.hash.as_ref()?))
            })
            .collect();
        let mut same = Vec::with_capacity(rows.len());
        for chunk in pairs.chunks(hasher.workers().max(1) * 2) {
            let checks = chunk.iter().map(|pair| async move {
                match pair {
                    Some((current, imported)) => hasher.wraps(current, imported).await,
                    None => Ok(false),
                }
            });
            for result in join_all(checks.collect()).await {
                same.push(result?);
            }
        }
        Ok(same)
    }

    /// What `row` comes to, given its retailer and contact as stored (if they exist), the
    /// contact holding its username key, and whether its hash is the stored one.
    fn decide(
        &self,
        row: &Checked,
        retailer: Option<&Retailer>,
        stored: Option<ContactRecord>,
        holder: Option<ContactId>,
        same_hash: bool,
    ) -> Decision {
        let Some(stored) = stored else {
            return if holder.is_some() { Decision::Refuse(ImportRefusal::UsernameTaken) } else { Decision::Create };
        };
        let contact = &stored.contact;
        if contact.is_removed() {
            return Decision::Refuse(ImportRefusal::Removed);
        }
        if retailer.map(|r| r.id) != Some(contact.retailer) {
            return Decision::Refuse(ImportRefusal::RetailerChanged);
        }
        if contact.username_key != row.key {
            return Decision::Refuse(ImportRefusal::UsernameChanged);
        }
        // A hash comes in with its contact only. Setting or replacing one later would be
        // staff choosing a contact's password; once the contact has its own (Argon2id, set
        // here or upgraded at a login) the source's hash is simply out of date.
        if row.hash.is_some() && !same_hash {
            let own = stored.credentials.password.as_ref().is_some_and(|p| !self.service.inner.hasher.is_wrapped(p));
            if !own {
                return Decision::Refuse(ImportRefusal::HashChanged);
            }
        }
        let retailer_renamed = retailer.is_some_and(|r| r.name != row.retailer_name);
        let same = contact.username == row.username
            && contact.email == row.email
            && contact.display_name == row.display_name
            && contact.login_enabled == row.login_enabled;
        match (same, retailer_renamed) {
            (true, false) => Decision::Unchanged,
            // Only the retailer's name changed: the rename is planned with the row.
            (true, true) => Decision::RenameOnly,
            (false, _) => Decision::Update(Box::new(stored)),
        }
    }

    /// The wrapped hash each new contact will store (`None` where none is written), wrapped
    /// a few at a time so every hashing worker is busy without filling the queue logins share.
    async fn wrap_hashes(
        &self,
        rows: &[Checked],
        decisions: &[Decision],
    ) -> Result<Vec<Option<StoredHash>>, ServiceError> {
        let hasher = &self.service.inner.hasher;
        let mut wrapped: Vec<Option<StoredHash>> = Vec::with_capacity(rows.len());
        let needed: Vec<Option<&LegacyHash>> = rows
            .iter()
            .zip(decisions)
            .map(|(row, decision)| match decision {
                Decision::Create => row.hash.as_ref(),
                _ => None,
            })
            .collect();
        for chunk in needed.chunks(hasher.workers().max(1) * 2) {
            let futures = chunk.iter().map(|h| async move {
                match h {
                    Some(imported) => hasher.wrap(imported).await.map(Some),
                    None => Ok(None),
                }
            });
            for result in join_all(futures.collect()).await {
                wrapped.push(result?);
            }
        }
        Ok(wrapped)
    }
}

/// Is `kind` what a write that lost a race to another writer fails with?
fn raced(kind: StoreErrorKind) -> bool {
    matches!(kind, StoreErrorKind::Duplicate | StoreErrorKind::Conflict | StoreErrorKind::NotFound)
}

/// The contact after a row changed it: an e-mail change as staff make one (withdrawing a
/// pending temporary password and starting the hold), login enabled or disabled as staff do
/// it, then the display name and the username's typed form.
fn reimport(
    stored: &ContactRecord,
    row: &Checked,
    now: Timestamp,
    actor: &Actor,
    hold: std::time::Duration,
) -> Transition {
    let mut transition = Transition { record: stored.clone(), events: Vec::new() };
    if stored.contact.email != row.email {
        transition = change_email(stored, row.email.clone(), now, actor, hold);
    }
    if stored.contact.login_enabled != row.login_enabled {
        let t = set_login_enabled(&transition.record, row.login_enabled, now, actor);
        transition.record = t.record;
        transition.events.extend(t.events);
    }
    let next = &mut transition.record;
    next.credentials.revision = next.credentials.revision.next();
    next.contact.display_name.clone_from(&row.display_name);
    next.contact.username.clone_from(&row.username);
    transition.events.push(AuditEvent {
        at: now,
        actor: actor.clone(),
        retailer: Some(stored.contact.retailer),
        contact: Some(stored.contact.id),
        kind: AuditKind::ContactReimported,
    });
    transition
}

/// Run `futures` concurrently on the caller's task and return their outputs in order (the
/// hashing pool does the work on its threads; this only waits for all of them).
async fn join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    use std::task::Poll;
    let mut futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => done = false,
                }
            }
        }
        if done { Poll::Ready(()) } else { Poll::Pending }
    })
    .await;
    outputs.into_iter().flatten().collect()
}
