import Fluent
import SQLKit

/// Every live grant above user whose holder is a live account without an authenticator, with the holder's
/// organisation and address, kept by triggers in the same transaction as the change. The second-factor
/// report counts and pages this small table instead of reading every holder's account; M025's index of
/// accounts without an authenticator is dropped, since ordinary users never add one and it would grow
/// with every account.
struct M026_SecondFactorGaps: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await database.schema("second_factor_gaps")
            .field("grant_id", .uuid, .identifier(auto: false))
            .field("account_id", .uuid, .required)
            .field("organisation_id", .uuid, .required)
            .field("role", .string, .required)
            .field("address", .string, .required)
            .create()
        try await sql.raw("CREATE INDEX second_factor_gaps_account_idx ON second_factor_gaps (account_id)").run()
        try await sql.raw(
            "CREATE INDEX second_factor_gaps_organisation_idx ON second_factor_gaps (organisation_id)"
        ).run()
        let postgres = sql.dialect.name == "postgresql"
        for statement in postgres ? Self.postgres : Self.sqlite {
            try await sql.raw(SQLQueryString(statement)).run()
        }
        try await sql.raw(SQLQueryString(Self.backfill)).run()
        try await sql.raw("DROP INDEX IF EXISTS accounts_without_second_factor_idx").run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        let postgres = sql.dialect.name == "postgresql"
        let triggers: [(String, String)] =
            postgres
            ? [
                ("second_factor_gaps_grant", "role_grants"), ("second_factor_gaps_account", "accounts"),
                ("second_factor_gaps_account_delete", "accounts"),
            ]
            : [
                "second_factor_gaps_grant_insert", "second_factor_gaps_grant_update", "second_factor_gaps_grant_delete",
                "second_factor_gaps_account", "second_factor_gaps_account_delete",
            ].map { ($0, "") }
        for (name, table) in triggers {
            try await sql.raw(SQLQueryString("DROP TRIGGER IF EXISTS \(name)\(table.isEmpty ? "" : " ON \(table)")"))
                .run()
        }
        if postgres {
            try await sql.raw("DROP FUNCTION IF EXISTS second_factor_gaps_grant_changed()").run()
            try await sql.raw("DROP FUNCTION IF EXISTS second_factor_gaps_account_changed()").run()
        }
        try await database.schema("second_factor_gaps").delete()
        try await sql.raw(
            """
            CREATE INDEX accounts_without_second_factor_idx ON accounts (organisation_id, id)
            WHERE totp_enrolled_at IS NULL
            """
        ).run()
    }

    /// A live account: not deleted, a leaver or disabled (the report's own definition).
    static let live = "('pending_activation', 'active', 'locked', 'expired', 'inactive')"

    static let backfill = """
        INSERT INTO second_factor_gaps (grant_id, account_id, organisation_id, role, address)
        SELECT g.id, a.id, a.organisation_id, g.role, a.address FROM role_grants g JOIN accounts a ON a.id = g.account_id
        WHERE g.revoked_at IS NULL AND g.role <> 'user' AND a.totp_enrolled_at IS NULL AND a.state IN \(live)
        """

    /// The gap a grant row makes, if any, given its holder's account now.
    static func grantGap(_ row: String) -> String {
        """
        INSERT INTO second_factor_gaps (grant_id, account_id, organisation_id, role, address)
        SELECT \(row).id, a.id, a.organisation_id, \(row).role, a.address FROM accounts a
        WHERE a.id = \(row).account_id AND \(row).revoked_at IS NULL AND \(row).role <> 'user'
            AND a.totp_enrolled_at IS NULL AND a.state IN \(live);
        """
    }

    /// The gaps an account row makes through its live grants, if any.
    static func accountGaps(_ row: String) -> String {
        """
        INSERT INTO second_factor_gaps (grant_id, account_id, organisation_id, role, address)
        SELECT g.id, \(row).id, \(row).organisation_id, g.role, \(row).address FROM role_grants g
        WHERE g.account_id = \(row).id AND g.revoked_at IS NULL AND g.role <> 'user'
            AND \(row).totp_enrolled_at IS NULL AND \(row).state IN \(live);
        """
    }

    static let accountColumns = "totp_enrolled_at, state, organisation_id, address"

    static var sqlite: [String] {
        [
            "CREATE TRIGGER second_factor_gaps_grant_insert AFTER INSERT ON role_grants BEGIN\n"
                + grantGap("NEW") + "\nEND",
            """
            CREATE TRIGGER second_factor_gaps_grant_update AFTER UPDATE ON role_grants BEGIN
            DELETE FROM second_factor_gaps WHERE grant_id = OLD.id;
            \(grantGap("NEW"))
            END
            """,
            """
            CREATE TRIGGER second_factor_gaps_grant_delete AFTER DELETE ON role_grants BEGIN
            DELETE FROM second_factor_gaps WHERE grant_id = OLD.id;
            END
            """,
            """
            CREATE TRIGGER second_factor_gaps_account AFTER UPDATE OF \(accountColumns) ON accounts
            WHEN OLD.totp_enrolled_at IS NOT NEW.totp_enrolled_at OR OLD.state IS NOT NEW.state
                OR OLD.organisation_id IS NOT NEW.organisation_id OR OLD.address IS NOT NEW.address BEGIN
            DELETE FROM second_factor_gaps WHERE account_id = OLD.id;
            \(accountGaps("NEW"))
            END
            """,
            """
            CREATE TRIGGER second_factor_gaps_account_delete AFTER DELETE ON accounts BEGIN
            DELETE FROM second_factor_gaps WHERE account_id = OLD.id;
            END
            """,
        ]
    }

    static var postgres: [String] {
        [
            """
            CREATE FUNCTION second_factor_gaps_grant_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP IN ('UPDATE', 'DELETE') THEN
                    DELETE FROM second_factor_gaps WHERE grant_id = OLD.id;
                END IF;
                IF TG_OP IN ('INSERT', 'UPDATE') THEN
                    \(grantGap("NEW"))
                END IF;
                RETURN NULL;
            END $$
            """,
            """
            CREATE TRIGGER second_factor_gaps_grant AFTER INSERT OR UPDATE OR DELETE ON role_grants
            FOR EACH ROW EXECUTE FUNCTION second_factor_gaps_grant_changed()
            """,
            """
            CREATE FUNCTION second_factor_gaps_account_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                DELETE FROM second_factor_gaps WHERE account_id = OLD.id;
                IF TG_OP = 'UPDATE' THEN
                    \(accountGaps("NEW"))
                END IF;
                RETURN NULL;
            END $$
            """,
            """
            CREATE TRIGGER second_factor_gaps_account AFTER UPDATE OF \(accountColumns) ON accounts FOR EACH ROW
            WHEN (OLD.totp_enrolled_at IS DISTINCT FROM NEW.totp_enrolled_at OR OLD.state IS DISTINCT FROM NEW.state
                OR OLD.organisation_id IS DISTINCT FROM NEW.organisation_id OR OLD.address IS DISTINCT FROM NEW.address)
            EXECUTE FUNCTION second_factor_gaps_account_changed()
            """,
            """
            CREATE TRIGGER second_factor_gaps_account_delete AFTER DELETE ON accounts FOR EACH ROW
            EXECUTE FUNCTION second_factor_gaps_account_changed()
            """,
        ]
    }
}
