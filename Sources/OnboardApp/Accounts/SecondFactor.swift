import Crypto
import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// TOTP seeds sealed with AES-GCM under `MFA_KEY`, and one-time recovery codes stored hashed.
enum SecondFactor {
    static func key(_ settings: Settings) -> SymmetricKey {
        SymmetricKey(data: SHA256.hash(data: Data(settings.mfaKey)))
    }

    static func seal(_ secret: [UInt8], settings: Settings) throws -> String {
        let box = try AES.GCM.seal(Data(secret), using: key(settings))
        guard let combined = box.combined else { throw Abort(.internalServerError) }
        return combined.base64EncodedString()
    }

    static func open(_ sealed: String, settings: Settings) -> [UInt8]? {
        guard let data = Data(base64Encoded: sealed), let box = try? AES.GCM.SealedBox(combined: data),
            let plain = try? AES.GCM.open(box, using: key(settings))
        else { return nil }
        return Array(plain)
    }

    /// Accepts a TOTP code for an enrolled account, recording its step so it cannot be used again. The
    /// update's guard on the last step makes two uses of one code at the same moment succeed once.
    static func verify(
        _ typed: String, account: Account, settings: Settings, now: Date, on sql: any SQLDatabase
    ) async throws -> Bool {
        guard let sealed = account.totpSecret, let secret = open(sealed, settings: settings),
            let step = TOTP(secret: secret).verify(typed, at: now, lastUsedStep: account.totpLastStep),
            let id = account.id
        else { return false }
        let claimed = try await sql.raw(
            """
            UPDATE accounts SET totp_last_step = \(bind: step)
            WHERE id = \(bind: id) AND (totp_last_step IS NULL OR totp_last_step < \(bind: step))
            RETURNING id
            """
        ).first()
        return claimed != nil
    }

    static let recoveryCodeCount = 10

    /// New recovery codes, replacing any earlier ones. Returned once, for the page to show.
    static func issueRecoveryCodes(
        account: UUID, secrets: SecretGenerator, key: [UInt8], now: Date, on sql: any SQLDatabase
    ) async throws -> [String] {
        try await sql.raw("DELETE FROM recovery_codes WHERE account_id = \(bind: account)").run()
        var codes: [String] = []
        for _ in 0..<recoveryCodeCount {
            let raw = TemporaryPassword.make(from: secrets.bytes(TemporaryPassword.bytesNeeded))
            let code = String(raw.prefix(9)).lowercased()
            codes.append(code)
            try await sql.insert(
                into: "recovery_codes",
                row: [
                    "id": UUID(), "account_id": account, "code_hash": hashRecovery(code, key: key), "created_at": now,
                ]
            )
            .run()
        }
        return codes
    }

    static func hashRecovery(_ code: String, key: [UInt8]) -> String {
        SecretHash.hmac("recovery:" + TemporaryPassword.normalise(code), key: key)
    }

    /// Spends one recovery code. Each works once.
    static func useRecoveryCode(
        _ typed: String, account: UUID, key: [UInt8], now: Date, on sql: any SQLDatabase
    ) async throws -> Bool {
        let used = try await sql.raw(
            """
            UPDATE recovery_codes SET used_at = \(bind: now)
            WHERE account_id = \(bind: account) AND code_hash = \(bind: hashRecovery(typed, key: key)) AND used_at IS NULL
            RETURNING id
            """
        ).first()
        return used != nil
    }
}
