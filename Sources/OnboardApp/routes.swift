import Foundation
import OnboardDomain
import OpenAPIVapor
import Vapor

/// Every route, registered from `SiteURL` so links and routes agree.
func routes(_ app: Application) throws {
    let publicPages = PublicController()
    app.get("health", use: publicPages.health)
    app.get("metrics", use: MetricsController().scrape)
    // GOV.UK Notify's delivery receipts: its bearer token, no session, so no CSRF.
    app.on(.POST, SiteURL.notifyReceipts.pattern, use: DeliveryReceiptsController().receive)
    // Dovecot's logins and lookups: the mail server's shared secret, no session, so no CSRF.
    let mailServer = MailServerController()
    app.on(.POST, SiteURL.mailServerLogin.pattern, use: mailServer.login)
    app.on(.POST, SiteURL.mailServerUser.pattern, use: mailServer.user)

    // Pages: sessions, CSRF on every state-changing form.
    let web = app.grouped(SessionAuthenticator(policy: .standard), CSRFProtection())
    web.get(use: publicPages.front)
    let join = JoinController()
    web.grouped(RateLimitMiddleware(limiter: app.guidedStartLimiter, paths: [SiteURL.join.path]))
        .get(SiteURL.join.pattern, use: join.start)
    // Applying and tracking: public, rate-limited per client address; codes more tightly.
    let applicant = web.grouped(
        RateLimitMiddleware(
            limiter: app.guidedStartLimiter,
            when: { ["/apply/", "/track/", "/register/"].contains(where: $0.url.path.hasPrefix) }),
        RateLimitMiddleware(
            limiter: app.applicantCodeLimiter,
            when: { req in
                req.method == .POST
                    && (req.url.path == SiteURL.applyVerify.path || req.url.path == SiteURL.applyResend.path
                        || req.url.path.hasPrefix("/apply/") && req.url.path.split(separator: "/").count == 2)
            }))
    let apply = ApplyController()
    applicant.get(SiteURL.applyVerify.pattern, use: apply.verifyPage)
    applicant.post(SiteURL.applyVerify.pattern, use: apply.verify)
    applicant.post(SiteURL.applyResend.pattern, use: apply.resend)
    applicant.get(SiteURL.applyStep("").pattern, use: apply.questionPage)
    applicant.post(SiteURL.applyStep("").pattern, use: apply.answer)
    applicant.get(SiteURL.applyCheck.pattern, use: apply.checkPage)
    applicant.post(SiteURL.applyCheck.pattern, use: apply.submit)
    applicant.post(SiteURL.applyWithdraw.pattern, use: apply.withdraw)
    applicant.get(SiteURL.applyConfirmation.pattern, use: apply.confirmation)
    applicant.get(SiteURL.apply("").pattern, use: apply.startPage)
    applicant.post(SiteURL.apply("").pattern, use: apply.start)
    let track = TrackController()
    applicant.get(SiteURL.track("").pattern, use: track.open)
    applicant.post(SiteURL.track("").pattern, use: track.status)
    applicant.post(SiteURL.trackReply("").pattern, use: track.reply)
    applicant.post(SiteURL.trackWithdraw("").pattern, use: track.withdraw)
    applicant.post(SiteURL.trackResume("").pattern, use: track.resume)
    let programmes = ProgrammesController()
    applicant.get(SiteURL.register("").pattern, use: programmes.registerPage)
    applicant.post(SiteURL.register("").pattern, use: programmes.register)
    if app.settings.isDevelopment {
        web.get(SiteURL.devMessages.pattern, use: ApplicationsController().devMessages)
    }

    web.get(SiteURL.signIn.pattern, use: publicPages.signInPage)
    // Sign-in and its steps: limited per client address, so one address cannot lock out many accounts.
    let signIn = SignInController()
    let signingIn = web.grouped(
        RateLimitMiddleware(
            limiter: app.signInLimiter, when: { $0.method == .POST && $0.url.path.hasPrefix(SiteURL.signIn.path) }))
    signingIn.post(SiteURL.signIn.pattern, use: signIn.signIn)
    signingIn.get(SiteURL.signInContinue.pattern, use: signIn.continueSignIn)
    signingIn.get(SiteURL.signInCode.pattern, use: signIn.codePage)
    signingIn.post(SiteURL.signInCode.pattern, use: signIn.code)
    signingIn.post(SiteURL.signInCodeResend.pattern, use: signIn.resendCode)
    signingIn.get(SiteURL.signInAcceptableUse.pattern, use: signIn.aupPage)
    signingIn.post(SiteURL.signInAcceptableUse.pattern, use: signIn.acceptAUP)
    signingIn.get(SiteURL.signInNewPassword.pattern, use: signIn.newPasswordPage)
    signingIn.post(SiteURL.signInNewPassword.pattern, use: signIn.setNewPassword)
    signingIn.get(SiteURL.signInAuthenticatorSetup.pattern, use: signIn.setupPage)
    signingIn.post(SiteURL.signInAuthenticatorSetup.pattern, use: signIn.confirmSetup)
    signingIn.get(SiteURL.signInAuthenticator.pattern, use: signIn.authenticatorPage)
    signingIn.post(SiteURL.signInAuthenticator.pattern, use: signIn.authenticator)
    signingIn.get(SiteURL.forgotten.pattern, use: signIn.forgottenPage)
    signingIn.post(SiteURL.forgotten.pattern, use: signIn.sendResetCode)
    signingIn.post(SiteURL.forgottenCode.pattern, use: signIn.resetWithCode)

    let staff = Guarded(builder: web.grouped(RequireSignIn()))
    staff.on(.POST, SiteURL.signOut.pattern, allow: .everyone) { req, _ in try await publicPages.signOut(req: req) }

    let account = OwnAccountController()
    staff.on(.GET, SiteURL.home.pattern, allow: .everyone, use: account.home)
    staff.on(.GET, SiteURL.welcome.pattern, allow: .everyone, use: signIn.welcome)
    staff.on(.GET, SiteURL.sessions.pattern, allow: .everyone, use: account.sessions)
    staff.on(.POST, SiteURL.endAllSessions.pattern, allow: .everyone, use: account.endAllSessions)
    staff.on(.POST, SiteURL.patterned(SiteURL.endSession), allow: .everyone, use: account.endSession)
    staff.on(.GET, SiteURL.ownAuthenticator.pattern, allow: .everyone, use: account.authenticatorPage)
    staff.on(.GET, SiteURL.ownMailbox.pattern, allow: .everyone, use: account.mailboxPage)
    staff.on(.POST, SiteURL.ownAuthenticator.pattern, allow: .everyone, use: account.addAuthenticator)
    staff.on(.GET, SiteURL.ownMobile.pattern, allow: .everyone, use: account.mobilePage)
    staff.on(.POST, SiteURL.ownMobile.pattern, allow: .everyone, use: account.sendMobileCode)
    staff.on(.POST, SiteURL.ownMobileCode.pattern, allow: .everyone, use: account.confirmMobile)
    let tokens = TokensController()
    staff.on(.GET, SiteURL.ownTokens.pattern, allow: .everyone, use: tokens.list)
    staff.on(.GET, SiteURL.ownTokenNew.pattern, allow: .everyone, use: tokens.newPage)
    staff.on(.POST, SiteURL.ownTokenNew.pattern, allow: .everyone, use: tokens.create)
    staff.on(.POST, SiteURL.patterned(SiteURL.ownTokenRevoke), allow: .everyone, use: tokens.revoke)

    let directory = DirectoryController()
    staff.on(.GET, SiteURL.directory.pattern, allow: .everyone, use: directory.search)
    staff.on(.GET, SiteURL.patterned(SiteURL.directoryPerson), allow: .everyone, use: directory.person)
    staff.on(.GET, SiteURL.patterned(SiteURL.directoryOrganisation), allow: .everyone, use: directory.organisation)
    staff.on(.GET, SiteURL.patterned(SiteURL.directorySharedMailbox), allow: .everyone, use: directory.sharedMailbox)
    staff.on(.GET, SiteURL.patterned(SiteURL.directoryExport), allow: .accountAdministrators, use: directory.export)
    staff.on(.GET, SiteURL.ownDirectoryDetails.pattern, allow: .everyone, use: directory.ownDetailsPage)
    staff.on(.POST, SiteURL.ownDirectoryDetails.pattern, allow: .everyone, use: directory.saveOwnDetails)
    staff.on(
        .GET, SiteURL.patterned(SiteURL.accountDirectoryDetails), allow: .accountAdministrators,
        use: directory.accountDetailsPage)
    staff.on(
        .POST, SiteURL.patterned(SiteURL.accountDirectoryDetails), allow: .accountAdministrators,
        use: directory.saveAccountDetails)

    let organisations = OrganisationsController()
    staff.on(.GET, SiteURL.organisations.pattern, allow: .administrators, use: organisations.list)
    staff.on(.GET, SiteURL.organisationNew.pattern, allow: .national, use: organisations.newForm)
    staff.on(.POST, SiteURL.organisationNew.pattern, allow: .national, use: organisations.create)
    staff.on(.GET, SiteURL.organisationImport.pattern, allow: .national, use: organisations.importForm)
    staff.on(
        .POST, SiteURL.organisationImport.pattern, allow: .national, body: .collect(maxSize: BodyLimits.upload),
        use: organisations.importCSV)
    staff.on(.GET, SiteURL.patterned(SiteURL.organisation), allow: .administrators, use: organisations.show)
    staff.on(.GET, SiteURL.patterned(SiteURL.organisationEdit), allow: .national, use: organisations.editForm)
    staff.on(.POST, SiteURL.patterned(SiteURL.organisationEdit), allow: .national, use: organisations.update)
    staff.on(
        .GET, SiteURL.patterned(SiteURL.organisationMailboxSize), allow: .national, use: organisations.mailboxSizeForm)
    staff.on(
        .POST, SiteURL.patterned(SiteURL.organisationMailboxSize), allow: .national, use: organisations.setMailboxSize)
    staff.on(.GET, SiteURL.patterned(SiteURL.organisationClose), allow: .national, use: organisations.closeForm)
    staff.on(.POST, SiteURL.patterned(SiteURL.organisationClose), allow: .national, use: organisations.close)
    staff.on(.GET, SiteURL.patterned(SiteURL.organisationMerge), allow: .national, use: organisations.mergeForm)
    staff.on(.POST, SiteURL.patterned(SiteURL.organisationMerge), allow: .national, use: organisations.merge)

    let people = PeopleController()
    staff.on(.GET, SiteURL.people.pattern, allow: .roleGranters, use: people.list)
    staff.on(.GET, SiteURL.patterned(SiteURL.person), allow: .roleGranters, use: people.show)
    staff.on(.POST, SiteURL.patterned(SiteURL.grantRole), allow: .roleGranters, use: people.grant)
    staff.on(
        .POST, SiteURL.revokeRole(account: .placeholder, grant: .placeholder).pattern, allow: .roleGranters,
        use: people.revoke)

    if app.settings.isDevelopment {
        staff.on(.GET, SiteURL.devOutbox.pattern, allow: .everyone) { req, _ in try await DevOutbox.page(req: req) }
    }
    let accounts = AccountsController()
    staff.on(.GET, SiteURL.accounts.pattern, allow: .accountHelpers, use: accounts.list)
    staff.on(.GET, SiteURL.accountNew.pattern, allow: .accountAdministrators, use: accounts.newPage)
    staff.on(.POST, SiteURL.accountNew.pattern, allow: .accountAdministrators, use: accounts.create)
    staff.on(.GET, SiteURL.joiners.pattern, allow: .accountAdministrators, use: accounts.joinerPage)
    staff.on(.POST, SiteURL.joiners.pattern, allow: .accountAdministrators, use: accounts.findJoiner)
    staff.on(.POST, SiteURL.patterned(SiteURL.joiner), allow: .accountAdministrators, use: accounts.acceptJoiner)
    staff.on(.GET, SiteURL.patterned(SiteURL.account), allow: .accountHelpers, use: accounts.show)
    staff.on(.POST, SiteURL.accountAction(.placeholder, .unlock).pattern, allow: .accountHelpers, use: accounts.act)

    let mailboxes = MailboxesController()
    staff.on(.GET, SiteURL.mailboxes.pattern, allow: .everyone, use: mailboxes.list)
    staff.on(.GET, SiteURL.mailboxNew.pattern, allow: .accountAdministrators, use: mailboxes.newPage)
    staff.on(.POST, SiteURL.mailboxNew.pattern, allow: .accountAdministrators, use: mailboxes.create)
    staff.on(.GET, SiteURL.patterned(SiteURL.mailbox), allow: .everyone, use: mailboxes.show)
    staff.on(.POST, SiteURL.patterned(SiteURL.mailboxMembers), allow: .everyone, use: mailboxes.addMember)
    staff.on(.GET, SiteURL.patterned(SiteURL.mailboxListing), allow: .everyone, use: mailboxes.listingForm)
    staff.on(.POST, SiteURL.patterned(SiteURL.mailboxListing), allow: .everyone, use: mailboxes.setListing)
    staff.on(
        .POST,
        SiteURL.mailboxMemberRemove(.placeholder, .placeholder).pattern, allow: .everyone, use: mailboxes.removeMember)

    let bulk = BulkController()
    staff.on(.GET, SiteURL.bulk.pattern, allow: .bulkUsers, use: bulk.list)
    staff.on(.GET, SiteURL.bulkTemplate("").pattern, allow: .bulkUsers, use: bulk.template)
    staff.on(.GET, SiteURL.bulkAgreement.pattern, allow: .superUsers, use: bulk.agreementPage)
    staff.on(.POST, SiteURL.bulkAgreement.pattern, allow: .superUsers, use: bulk.acceptAgreement)
    staff.on(.GET, SiteURL.bulkNew.pattern, allow: .bulkUsers, use: bulk.newPage)
    staff.on(
        .POST, SiteURL.bulkNew.pattern, allow: .bulkUsers, body: .collect(maxSize: BodyLimits.upload), use: bulk.upload)
    staff.on(.GET, SiteURL.patterned(SiteURL.bulkUpload), allow: .bulkUsers, use: bulk.show)
    staff.on(.POST, SiteURL.patterned(SiteURL.bulkApply), allow: .bulkUsers, use: bulk.apply)
    staff.on(.GET, SiteURL.patterned(SiteURL.bulkProgress), allow: .bulkUsers, use: bulk.progress)
    staff.on(.GET, SiteURL.patterned(SiteURL.bulkReport), allow: .bulkUsers, use: bulk.report)
    staff.on(.GET, SiteURL.patterned(SiteURL.bulkResults), allow: .bulkUsers, use: bulk.results)

    let migration = MigrationController()
    let m = Set<Role>.migrationUsers
    staff.on(.GET, SiteURL.migrations.pattern, allow: m, use: migration.list)
    staff.on(.GET, SiteURL.migrationNew.pattern, allow: m, use: migration.newPage)
    staff.on(.POST, SiteURL.migrationNew.pattern, allow: m, use: migration.start)
    staff.on(.GET, SiteURL.patterned(SiteURL.migration), allow: m, use: migration.show)
    staff.on(.POST, SiteURL.patterned(SiteURL.migrationISM), allow: m, use: migration.assign)
    staff.on(.GET, SiteURL.patterned(SiteURL.migrationOption), allow: m, use: migration.optionPage)
    staff.on(.POST, SiteURL.patterned(SiteURL.migrationOption), allow: m, use: migration.chooseOption)
    staff.on(.GET, SiteURL.patterned(SiteURL.migrationInitiation), allow: m, use: migration.initiationPage)
    staff.on(.POST, SiteURL.patterned(SiteURL.migrationInitiation), allow: m, use: migration.saveInitiation)
    staff.on(.GET, SiteURL.patterned(SiteURL.migrationGoLive), allow: m, use: migration.goLivePage)
    staff.on(.POST, SiteURL.patterned(SiteURL.migrationGoLive), allow: m, use: migration.setGoLive)
    staff.on(.GET, SiteURL.patterned(SiteURL.migrationPlan), allow: m, use: migration.plan)
    staff.on(.GET, SiteURL.patterned(SiteURL.migrationPlanCSV), allow: m, use: migration.planCSV)
    staff.on(.GET, SiteURL.migrationTask(.placeholder, key: "").pattern, allow: m, use: migration.taskPage)
    staff.on(.POST, SiteURL.migrationTask(.placeholder, key: "").pattern, allow: m, use: migration.completeTask)
    staff.on(.GET, SiteURL.patterned(SiteURL.migrationChecklist), allow: m, use: migration.checklist)
    staff.on(.GET, SiteURL.migrationChecklistItem(.placeholder, key: "").pattern, allow: m, use: migration.tickPage)
    staff.on(.POST, SiteURL.migrationChecklistItem(.placeholder, key: "").pattern, allow: m, use: migration.tick)
    staff.on(.GET, SiteURL.patterned(SiteURL.migrationConfirm), allow: m, use: migration.confirmPage)
    staff.on(.POST, SiteURL.patterned(SiteURL.migrationConfirm), allow: m, use: migration.confirm)
    staff.on(.GET, SiteURL.patterned(SiteURL.migrationTransfers), allow: m, use: migration.transfers)
    staff.on(
        .POST, SiteURL.patterned(SiteURL.migrationTransfers), allow: m, body: .collect(maxSize: BodyLimits.transfer),
        use: migration.upload)
    staff.on(.GET, SiteURL.migrationBatch(.placeholder, batch: .placeholder).pattern, allow: m, use: migration.batch)
    staff.on(
        .GET, SiteURL.migrationBatchProgress(.placeholder, batch: .placeholder).pattern, allow: m,
        use: migration.batchProgress)
    staff.on(.GET, SiteURL.migrationItem(.placeholder, item: .placeholder).pattern, allow: m, use: migration.itemPage)
    staff.on(.POST, SiteURL.migrationItem(.placeholder, item: .placeholder).pattern, allow: m, use: migration.deal)
    staff.on(
        .GET, SiteURL.migrationItemContent(.placeholder, item: .placeholder).pattern, allow: m, use: migration.content)
    let guidance = GuidanceController()
    staff.on(.GET, SiteURL.guidance.pattern, allow: .national, use: guidance.list)
    staff.on(.GET, SiteURL.guidanceItem("").pattern, allow: .national, use: guidance.editPage)
    staff.on(.POST, SiteURL.guidanceItem("").pattern, allow: .national, use: guidance.save)

    let oversight = OversightController()
    staff.on(.GET, SiteURL.audit.pattern, allow: .auditReaders, use: oversight.search)
    staff.on(.GET, SiteURL.auditExport.pattern, allow: .auditReaders, use: oversight.export)
    staff.on(.GET, SiteURL.auditEvent(0).pattern, allow: .auditReaders, use: oversight.event)
    staff.on(.GET, SiteURL.auditSecurity.pattern, allow: .auditReaders, use: oversight.security)
    let reports = ReportsController()
    staff.on(.GET, SiteURL.reports.pattern, allow: .reportReaders, use: reports.index)
    staff.on(.GET, SiteURL.report("").pattern, allow: .reportReaders, use: reports.show)
    staff.on(.GET, SiteURL.reportExport("").pattern, allow: .reportReaders, use: reports.export)

    let applications = ApplicationsController()
    staff.on(.GET, SiteURL.applications.pattern, allow: .reviewers, use: applications.list)
    staff.on(.GET, SiteURL.applicationImport.pattern, allow: .national, use: applications.importForm)
    staff.on(
        .POST, SiteURL.applicationImport.pattern, allow: .national, body: .collect(maxSize: BodyLimits.upload),
        use: applications.importCSV)
    staff.on(.GET, SiteURL.patterned(SiteURL.application), allow: .reviewers, use: applications.show)
    staff.on(.POST, SiteURL.patterned(SiteURL.applicationDecisions), allow: .reviewers, use: applications.decide)

    staff.on(.GET, SiteURL.programmes.pattern, allow: .programmeManagers, use: programmes.list)
    staff.on(.GET, SiteURL.programme("").pattern, allow: .programmeManagers, use: programmes.show)
    staff.on(
        .POST, SiteURL.programmeCohorts("").pattern, allow: .cohortReleasers,
        use: programmes.addCohort)
    staff.on(
        .POST, SiteURL.cohortRelease(programme: "", cohort: .placeholder).pattern, allow: .cohortReleasers,
        use: programmes.release)
    staff.on(
        .POST, SiteURL.programmeInvitations("").pattern, allow: .programmeManagers, use: programmes.invite)
    let parameters = ParametersController()
    staff.on(.GET, SiteURL.parameters.pattern, allow: .national, use: parameters.page)
    staff.on(.POST, SiteURL.parameters.pattern, allow: .national, use: parameters.create)

    // API: bearer tokens only, problem+json errors, generated from the OpenAPI document.
    app.get("api", "v1", "openapi.yaml") { req async throws -> Response in
        let response = Response(status: .ok, body: .init(string: OpenAPIDocument.text))
        response.headers.contentType = HTTPMediaType(type: "application", subType: "yaml")
        return response
    }
    let api = app.grouped("api", "v1").grouped(
        APIErrorMiddleware(),
        RateLimitMiddleware(limiter: app.eligibilityLimiter, paths: BearerAuthenticator.publicPaths),
        BearerAuthenticator())
    let transport = VaporTransport(routesBuilder: api)
    try APIHandler(app: app).registerHandlers(
        on: transport, serverURL: URL(string: "/")!, middlewares: [APIRoleCheck(), NoBodyWhenEmpty()])
}
