import Fluent
import SQLKit

/// Wrong authenticator codes are counted: per account, feeding the same timed lock as wrong passwords but
/// not cleared by a right password (else a password-holder could guess forever, nine codes at a time), and per
/// sign-in, which ends after a few.
struct M017_LimitSecondFactorAttempts: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("accounts")
            .field("failed_factor_attempts", .int, .required, .sql(.default(0))).update()
        try await database.schema("sessions").field("factor_failures", .int, .required, .sql(.default(0))).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("sessions").deleteField("factor_failures").update()
        try await database.schema("accounts").deleteField("failed_factor_attempts").update()
    }
}
