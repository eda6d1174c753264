import HTTPTypes
import OnboardDomain
import OpenAPIRuntime

/// Which roles may call each API operation, by its `operationId`: the API's counterpart of the roles every
/// page route is registered with. An operation not listed is refused, so a new one is closed until it is
/// given its roles here. Each operation then checks every record against the caller's scope, as pages do.
enum APIAccess {
    struct Rule: Sendable {
        let roles: Set<Role>
        /// What a caller without one of the roles is told.
        let refusal: String
    }

    /// Open to every signed-in caller: what they get is bounded by their scope.
    static let anyone = Rule(roles: .everyone, refusal: "")

    static let accounts = Rule(
        roles: .accountAdministrators, refusal: "Your role does not add accounts or shared mailboxes.")
    static let migration = Rule(roles: .migrationUsers, refusal: "Your role does not work on migration projects.")
    static let guidance = Rule(roles: .national, refusal: "Only national administrators edit guidance.")

    /// Operations anyone may call without a token (`security: []` in the document).
    static let open: Set<String> = ["checkEligibility"]

    static let rules: [String: Rule] = [
        "listOrganisations": anyone,
        "createOrganisation": Rule(roles: .national, refusal: "Only national administrators create organisations."),
        "getOrganisation": anyone,
        "searchDirectory": anyone,
        "createApplication": Rule(
            roles: .reviewers, refusal: "Only staff who review applications submit them for applicants."),
        "getApplication": anyone,
        "decideApplication": anyone,
        "listAccounts": Rule(roles: .accountHelpers, refusal: "Your role does not look after accounts."),
        "createAccount": accounts,
        "getAccount": anyone,
        "updateAccount": anyone,
        "accountAction": anyone,
        "acceptJoiner": accounts,
        "createMailbox": accounts,
        "getMailbox": anyone,
        "updateMailbox": anyone,
        "setMailboxMember": anyone,
        "removeMailboxMember": anyone,
        "getBulkTemplate": Rule(roles: .bulkUsers, refusal: "Your role does not send registration sheets."),
        "uploadBulkSheet": anyone,
        "getBulkUpload": anyone,
        "applyBulkUpload": anyone,
        "getBulkResults": anyone,
        "listMigrationProjects": migration,
        "startMigrationProject": migration,
        "getMigrationProject": migration,
        "chooseMigrationOption": migration,
        "saveProjectInitiation": migration,
        "setGoLive": migration,
        "exportMigrationPlan": migration,
        "completeMigrationTask": migration,
        "tickChecklistItem": migration,
        "confirmGoLive": migration,
        "uploadTransferBatch": migration,
        "getTransferBatch": migration,
        "removeTransferItem": migration,
        "releaseTransferItem": migration,
        "listGuidance": guidance,
        "updateGuidance": guidance,
        "listAuditEvents": Rule(roles: .auditReaders, refusal: "Your role does not search the audit log."),
        "listWorkQueues": anyone,
    ]
}

/// Checks the caller's roles against `APIAccess` before an operation reads its input, the way a page route
/// checks them before its handler runs.
struct APIRoleCheck: ServerMiddleware {
    func intercept(
        _ request: HTTPTypes.HTTPRequest, body: OpenAPIRuntime.HTTPBody?, metadata: ServerRequestMetadata,
        operationID: String,
        next:
            @Sendable (HTTPTypes.HTTPRequest, OpenAPIRuntime.HTTPBody?, ServerRequestMetadata) async throws -> (
                HTTPTypes.HTTPResponse, OpenAPIRuntime.HTTPBody?
            )
    ) async throws -> (HTTPTypes.HTTPResponse, OpenAPIRuntime.HTTPBody?) {
        if APIAccess.open.contains(operationID) { return try await next(request, body, metadata) }
        guard let principal = APIRequest.current?.principal else {
            throw APIProblem(status: .unauthorized, detail: "Send a bearer token.")
        }
        guard let rule = APIAccess.rules[operationID] else {
            throw APIProblem(status: .forbidden, detail: "This operation is not open to anyone yet.")
        }
        guard principal.hasAny(rule.roles) else { throw APIProblem(status: .forbidden, detail: rule.refusal) }
        return try await next(request, body, metadata)
    }
}
