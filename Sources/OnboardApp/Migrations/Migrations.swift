import Fluent

extension Migrations {
    /// Every migration, in order. Never edit one that has shipped; add the next number.
    func addOnboardMigrations() {
        add(M001_CreateRegions())  // NHS England regions
        add(M002_CreateOrganisations())  // organisations and their hierarchy
        add(M003_CreatePeopleAndAccounts())  // people and their mailbox accounts
        add(M004_CreateRoleGrants())  // scoped role grants
        add(M005_CreateAUP())  // AUP versions and acceptances
        add(M006_CreateAuditEvents())  // the audit log
        add(M007_CreateJobs())  // background jobs with leases
        add(M008_CreateSessionsAndTokens())  // staff sessions and API tokens
        add(M009_CreateGuidance())  // guidance links as data
        add(M010_CreateEligibilityParameters())  // versioned eligibility rule parameters
        add(M011_CreateApplications())  // applications, history, invitations, cohorts
        add(M012_CreateAccountSecurity())  // reservations, activation, second factor, outbox, shared mailboxes
        add(M013_CreateBulkRegistration())  // bulk uploads, people by local id, store mailboxes, agreements
        add(M014_CreateMigrationProjects())  // migration projects, plans, checklists, transfer batches, quarantine
        add(M015_ChainAuditEvents())  // the audit hash chain, erasable details, security events
        add(M016_ScopeAPITokens())  // token expiry, read-only and organisation; when a session last used its factor
        add(M017_LimitSecondFactorAttempts())  // wrong authenticator codes counted per account and per sign-in
        add(M018_ApplicationSetUp())  // the account and shared mailbox an approval set up
        add(M019_MigrationContact())  // migration questions go to the national helpdesk, not a placeholder
        add(M020_DeliveryReceipts())  // Notify delivery receipts on the messages they report
        add(M021_OwnM016Indexes())  // the indexes M016 made and its revert forgets
        add(M022_Mailboxes())  // last mail login, erased mailboxes, quotas per organisation
        add(M023_Directory())  // directory details, hidden shared mailboxes, trigram-indexed directory entries
        add(M024_AccountCounts())  // accounts per organisation and state, kept by triggers for the reports
        add(M025_SecondFactorIndex())  // accounts without an authenticator, for the second-factor report
        add(M026_SecondFactorGaps())  // live grants above user held without an authenticator, kept by triggers
    }
}
