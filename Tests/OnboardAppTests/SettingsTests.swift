import Foundation
import Testing

@testable import OnboardApp

@Suite("Settings")
struct SettingsTests {
    private func refusal(_ env: [String: String]) -> Settings.Problem? {
        do {
            _ = try Settings.load(from: env)
            return nil
        } catch {
            return error
        }
    }

    @Test("An unsupported DATABASE_URL is named, and its value is not shown")
    func badDatabaseURL() throws {
        let value = "mysql://admin:hunter2@db.example/onboard"
        let problem = try #require(refusal(["DATABASE_URL": value]))
        #expect(problem.setting == "DATABASE_URL")
        #expect(problem.description.contains("DATABASE_URL"))
        #expect(!problem.description.contains(value))
        #expect(!problem.description.contains("hunter2"))
        let short = try #require(refusal(["DATABASE_URL": "mysql://x"]))
        #expect(short.setting == "DATABASE_URL")
        #expect(!short.description.contains("mysql://x"))
    }

    @Test("In development the audit checkpoint file follows the database, so two databases never share one")
    func checkpointFollowsTheDatabase() throws {
        func checkpoint(_ url: String) throws -> String {
            try Settings.load(from: ["DATABASE_URL": url, "ONBOARD_ENV": "development"]).audit.checkpoint
        }
        #expect(try checkpoint("sqlite:var/onboard.sqlite") == "var/onboard.audit-checkpoints.jsonl")
        #expect(try checkpoint("sqlite:var/other.sqlite") == "var/other.audit-checkpoints.jsonl")
        #expect(try checkpoint("sqlite:/srv/data/demo.db") == "/srv/data/demo.audit-checkpoints.jsonl")
        #expect(try checkpoint("sqlite:demo") == "demo.audit-checkpoints.jsonl")
        let one = try checkpoint("postgres://u:p@127.0.0.1:5432/onboard")
        let two = try checkpoint("postgres://u:p@127.0.0.1:5432/onboard_copy")
        #expect(one == "var/audit-checkpoints-127.0.0.1-5432-onboard.jsonl")
        #expect(one != two)
        #expect(!one.contains("u:p"))
        // A setting still wins, and production still requires one.
        let chosen = try Settings.load(from: ["DATABASE_URL": "sqlite:var/a.sqlite", "AUDIT_CHECKPOINT": "/x.jsonl"])
        #expect(chosen.audit.checkpoint == "/x.jsonl")
    }

    @Test("A SESSION_SECRET that is too short is named, and its value is not shown")
    func shortSecret() throws {
        let value = "too-short-secret-xyz"
        let problem = try #require(refusal(["SESSION_SECRET": value]))
        #expect(problem.setting == "SESSION_SECRET")
        #expect(!problem.description.contains(value))
    }

    @Test("Production needs a SESSION_SECRET")
    func productionNeedsSecret() throws {
        let problem = try #require(refusal(["ONBOARD_ENV": "production"]))
        #expect(problem.setting == "SESSION_SECRET")
        let ok = try Settings.load(
            from: productionSecrets.merging(["SESSION_SECRET": String(repeating: "k", count: 32)]) { $1 })
        #expect(!ok.isDevelopment)
    }

    @Test("Production needs an audit key of 32 characters and a checkpoint outside the database")
    func productionNeedsAuditSettings() throws {
        for missing in ["AUDIT_KEY", "AUDIT_CHECKPOINT"] {
            var values = productionSecrets.merging(["SESSION_SECRET": String(repeating: "k", count: 32)]) { $1 }
            values[missing] = nil
            let problem = try #require(refusal(values))
            #expect(problem.setting == missing)
        }
        let short = try #require(refusal(["AUDIT_KEY": "short"]))
        #expect(short.setting == "AUDIT_KEY")
        let minutes = try #require(refusal(["AUDIT_CHECKPOINT_MINUTES": "0"]))
        #expect(minutes.setting == "AUDIT_CHECKPOINT_MINUTES")
    }

    @Test("PostgreSQL needs ONBOARD_ENV, and its password never appears in descriptions")
    func postgresNeedsEnvironment() throws {
        let url = "postgres://onboard:s3cret-pass@127.0.0.1:5432/onboard"
        let problem = try #require(refusal(["DATABASE_URL": url]))
        #expect(problem.setting == "ONBOARD_ENV")
        #expect(!problem.description.contains("s3cret-pass"))
        let settings = try Settings.load(from: [
            "DATABASE_URL": url, "ONBOARD_ENV": "development",
        ])
        #expect(settings.database.kindName == "postgresql")
        #expect(!settings.database.description.contains("s3cret-pass"))
    }

    @Test(
        "Other settings are checked too",
        arguments: [
            ("ONBOARD_ENV", "staging"), ("TRUSTED_PROXIES", "10.0.0.1, not-an-ip"), ("MAIL_DOMAIN", "nhsmail"),
            ("ONBOARD_JOBS_IN_SERVE", "sometimes"), ("DATABASE_URL", "postgres://nohost"),
            ("CLAMD_ADDRESS", "clamd.internal"), ("BULK_RETENTION_DAYS", "soon"), ("BULK_RETENTION_DAYS", "off"),
            ("BULK_STOP_AFTER_CHUNKS", "x2"), ("HTTP_IDLE_TIMEOUT", "9999"), ("HTTP_IDLE_TIMEOUT", "forever"),
        ])
    func otherSettings(name: String, value: String) throws {
        let problem = try #require(refusal([name: value]), "\(name)=\(value) should be refused")
        #expect(problem.setting == name)
        #expect(!problem.description.contains(value))
    }

    @Test("With nothing set: development on SQLite at var/onboard.sqlite")
    func defaults() throws {
        let settings = try Settings.load(from: [:])
        #expect(settings.environment == .development)
        #expect(settings.database == .sqliteFile("var/onboard.sqlite"))
        #expect(settings.sessionSecret.count >= 32)
        #expect(settings.mailDomain == "nhs.net")
        #expect(settings.runJobsInServe)
        #expect(try Settings.load(from: ["DATABASE_URL": "sqlite::memory:"]).database == .sqliteMemory)
    }
}
