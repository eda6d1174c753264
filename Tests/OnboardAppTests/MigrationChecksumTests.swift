import Foundation
import SQLKit
import Testing

@testable import OnboardApp

/// Migrations are never edited once committed: a database that ran one must end up like a new one. Each
/// committed migration file is pinned here by its SHA-256. A change to the schema is a new numbered
/// migration, whose checksum is added when it is committed.
@Suite("Committed migrations")
struct MigrationChecksumTests {
    static let committed: [String: String] = [
        "M001_CreateRegions.swift": "7a8dfbcd853d87c84c5cd2b99c2b3f7de7d215829f9ede4ef1bb4f3743804102",
        "M002_CreateOrganisations.swift": "90b08208922b51ed0e91b359616e49922b932aede9d8f79c0fa8d08e9e44d90c",
        "M003_CreatePeopleAndAccounts.swift": "479b9eb0250b92686d4525901728af94841ca57a64dd7b7dbce7128c8221d5bb",
        "M004_CreateRoleGrants.swift": "5fdf7259854b8b99232ba80caeb6163847db790fb20b2e4822c66491870bc179",
        "M005_CreateAUP.swift": "25bbb7520e35fad3b191c34ce4396d5390d33b6112ead574517f622cd841cb86",
        "M006_CreateAuditEvents.swift": "5b9db43fca29ca11c7d4b5c5d48f54e49af2b45860086d0968c949cf175b962c",
        "M007_CreateJobs.swift": "224eb5380ee32b881e0d37adee2090d9bb42543d5cf2022736244683bc673975",
        "M008_CreateSessionsAndTokens.swift": "5e68c67f024926c80de44cefb18b7aee5da0225d8c0df7431e83060243643014",
        "M009_CreateGuidance.swift": "c5a3cebcb5c36c92c578f46d674ac19155849d4707823243db623131fa09ebae",
        "M010_CreateEligibilityParameters.swift": "aab3f4809fce05665044955733d47e71aebfb78dd19165c178e967ae03423a3e",
        "M011_CreateApplications.swift": "9ac83ab5989c87a97cafddd68600d3bffae561dee86a90e78fdf14bdcfc9d1ba",
        "M012_CreateAccountSecurity.swift": "c44082df59c882b79d4156ef740754352e9fd57e413a731baac8f8284e390154",
        "M013_CreateBulkRegistration.swift": "1ef60cbef4be571d863d14cf0d92114085ad644b956ba8ccc26c46c00b5934a4",
        "M014_CreateMigrationProjects.swift": "5fbd33734d70653832a831038ec829d487bbdb71b59718aa9cfb3d1fded21171",
        "M015_ChainAuditEvents.swift": "1d23349d1d90fd345861667ba3782fd0c35e4ba1f0491843c1612b790855f589",
        "M016_ScopeAPITokens.swift": "14f71b0d13e042d1ccefac93dc6cba571b81df6cc17caf92455db8d3feba6736",
        "M017_LimitSecondFactorAttempts.swift": "f21afb2e3ee037a86ec6eb236d53f7066d4ddef044c38331bdbdca7021f9aa33",
        "M018_ApplicationSetUp.swift": "2b67d9f7c11e12810d8bba9da5310d7b8f071058e6e6724d7936f2557beed488",
        "M019_MigrationContact.swift": "957590bffe54e6bd7c3b3cce58d1d7e02874f631e247f76f00b0841d9e3b0782",
        "M020_DeliveryReceipts.swift": "17bdbf9827d65aef8f56d4783e37fa968a21befa0e36991a3f9887c53bb2e1bb",
        "M021_OwnM016Indexes.swift": "c7e1a7cf0302ad7c995a1f8b30c4c6a31c91e6988752fc7cd838ea67b57cac4a",
        "M022_Mailboxes.swift": "9401702d81f7c01d949c26e6da913fdb0b53545923dcdba85712b27d150f9826",
        "M023_Directory.swift": "2f988898170f7a865864a8c5420944faf694fe3637dc88c684870d7a221324f7",
        "M024_AccountCounts.swift": "0f939277654f074e8d370d55af4bd5a6bb2e442609e9991ae205d95f72946170",
        "M025_SecondFactorIndex.swift": "af6180d9a1425a067138687bb9a46b85eff209673248f61610aaf01932244019",
        "M026_SecondFactorGaps.swift": "6cded4e25f9f930555caa8e116557698eba84b255f10960a5485a3192547b8bb",
    ]

    @Test("No committed migration has changed, and every migration file is pinned")
    func unchanged() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/OnboardApp/Migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasPrefix("M") && $0 != "Migrations.swift" }
        #expect(Set(files) == Set(Self.committed.keys), "add a new migration's checksum here when committing it")
        for file in files.sorted() {
            let data = try Data(contentsOf: folder.appendingPathComponent(file))
            let digest = SecretHash.sha256Hex(String(decoding: data, as: UTF8.self))
            #expect(
                Self.committed[file] == nil || Self.committed[file] == digest,
                "\(file) was edited after it was committed: put the change in a new migration instead")
        }
    }
}

extension MigrationChecksumTests {
    @Test("Reverting M016, after the migrations that follow it, leaves none of its indexes behind")
    func m016RevertsCleanly() async throws {
        try await withTestApp { app, _ in
            let sql = app.db as! any SQLDatabase
            func indexes() async throws -> Set<String> {
                struct Row: Decodable { let name: String }
                let query: SQLQueryString =
                    sql.dialect.name == "postgresql"
                    ? "SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema()"
                    : "SELECT name FROM sqlite_master WHERE type = 'index'"
                return Set(try await sql.raw(query).rows(Row.self).map(\.name))
            }
            let owned = Set(M021_OwnM016Indexes.indexes.map(\.0))
            #expect(owned.isSubset(of: try await indexes()))
            try await M021_OwnM016Indexes().revert(on: app.db)
            try await M016_ScopeAPITokens().revert(on: app.db)
            #expect(owned.isDisjoint(with: try await indexes()))
        }
    }
}
