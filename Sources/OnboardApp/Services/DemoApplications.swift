import Fluent
import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// A few applications for reviewers to find in development, loaded through the same import as real
/// earlier applications. Not part of `DemoData.seed`, so tests start with none.
enum DemoApplications {
    static let csv = """
        kind,applicant_email,submitted_on,applicantName,applicantRole,mobile,odsCode,practiceName,organisationName,homeName,premisesName,postcode,region,registrationNumber,exchangesPatientInformation,usesOtherPubliclyFundedEmail,wantsSharedMailbox,fundedCareEvidence,commissioner,expectedAccounts,localManagement,firstLAName,firstLAEmail,signatoryName,signatoryRole,aupAccepted,cqcLocationID,managerName,commissionerODS,igStatus,accountsWanted,gphcPremisesNumber,meetsIGTerms,programme,staff
        dentist,omar.farooq@beestonsmile.example,2026-11-02,Omar Farooq,Dentist,07700 900201,V0003,Smile Dental Beeston,,,,LS11 8GG,north_east_and_yorkshire,104233,regular,no,yes,,,,,,,,,,,,,,,,,,
        non_nhs_organisation,jo.marsh@harbourhospice.example,2026-11-05,Jo Marsh,Chief executive,07700 900202,,,Harbour Hospice Care,,,LS9 7TF,north_east_and_yorkshire,,,,,Palliative care beds under NHS standard contract C-123,NHS West Yorkshire Integrated Care Board,40,Our IT lead adds and removes staff as they join and leave,Ben Carter,ben.carter@harbourhospice.example,Jo Marsh,Chief executive,yes,,,,,,,,,
        care_home,k.obi@oakhouse.example,2026-11-09,Kemi Obi,Registered manager,07700 900203,VM003,,,Oak House Residential Home,,LS17 5LL,north_east_and_yorkshire,,,,,,,,,,,,,,1-000000003,Kemi Obi,QWO,completed,6,,,,
        community_pharmacy,owner@ilkleyroad.example,2026-11-12,Ravi Shah,Pharmacist owner,07700 900204,FB009,,,,Ilkley Road Pharmacy,LS14 2PH,north_east_and_yorkshire,,,,,,,,,,,,,,,,,,,1012399,yes,numsas,"Ravi Shah, 07700 900204"
        """

    /// Loads them once, into a database that has none, as the national administrator. A failure is reported,
    /// never fatal: the service starts without them.
    static func seed(_ app: Application) async throws {
        do {
            try await load(app)
        } catch {
            app.logger.warning("The demo applications were not loaded: \(String(reflecting: error))")
        }
    }

    static func load(_ app: Application) async throws {
        let sql = app.db as! any SQLDatabase
        guard try await sql.raw("SELECT 1 AS one FROM applications").first() == nil else { return }
        let nadia = try await Account.query(on: app.db).filter(\.$address == "nadia.okafor@\(app.settings.mailDomain)")
            .first()
        guard let account = nadia,
            let principal = try await PrincipalLoader.load(
                accountID: try account.requireID(), sessionID: nil, on: sql)
        else { return }
        let req = Request(application: app, on: app.eventLoopGroup.next())
        req.principal = principal
        _ = try await ApplicationImporter(req: req).importCSV(csv, by: principal)
        // The pharmacy waits for a NUMSAS cohort, so the programme page has a waiting list.
        if let pharmacy = try await ApplicationStore.load(where: "a.kind = 'community_pharmacy'", on: sql) {
            _ = try await ApplicationService(req: req).decide(
                pharmacy, .init(action: .waitlist, reason: "Waiting for the next NUMSAS cohort."), as: .nationalAdmin,
                actorLabel: "\(principal.name) (\(principal.topRole.displayName))", account: principal.accountID)
        }
    }
}
