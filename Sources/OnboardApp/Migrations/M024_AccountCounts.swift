import Fluent
import SQLKit

/// How many accounts each organisation has in each state, kept by triggers in the same transaction as the
/// change, so the national reports add up tens of thousands of counts instead of reading every account.
struct M024_AccountCounts: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await database.schema("account_state_counts")
            .field("organisation_id", .uuid, .required)
            .field("state", .string, .required)
            .field("n", .int64, .required)
            .compositeIdentifier(over: "organisation_id", "state")
            .create()
        let postgres = sql.dialect.name == "postgresql"
        for statement in postgres ? Self.postgres : Self.sqlite {
            try await sql.raw(SQLQueryString(statement)).run()
        }
        try await sql.raw(SQLQueryString(Self.backfill)).run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        let postgres = sql.dialect.name == "postgresql"
        for name in ["account_counts_insert", "account_counts_update", "account_counts_delete"] {
            try await sql.raw(SQLQueryString("DROP TRIGGER IF EXISTS \(name)\(postgres ? " ON accounts" : "")")).run()
        }
        if postgres {
            try await sql.raw("DROP FUNCTION IF EXISTS account_counts_changed()").run()
            try await sql.raw("DROP FUNCTION IF EXISTS account_counts_add(uuid, text, bigint)").run()
        }
        try await database.schema("account_state_counts").delete()
    }

    static let backfill = """
        INSERT INTO account_state_counts (organisation_id, state, n)
        SELECT organisation_id, state, COUNT(*) FROM accounts GROUP BY organisation_id, state
        """

    static func add(_ organisation: String, _ state: String, _ delta: Int) -> String {
        """
        INSERT INTO account_state_counts (organisation_id, state, n) VALUES (\(organisation), \(state), \(delta))
        ON CONFLICT (organisation_id, state) DO UPDATE SET n = account_state_counts.n + \(delta);
        """
    }

    static var sqlite: [String] {
        [
            "CREATE TRIGGER account_counts_insert AFTER INSERT ON accounts BEGIN\n"
                + add("NEW.organisation_id", "NEW.state", 1) + "\nEND",
            """
            CREATE TRIGGER account_counts_update AFTER UPDATE OF state, organisation_id ON accounts
            WHEN OLD.state IS NOT NEW.state OR OLD.organisation_id IS NOT NEW.organisation_id BEGIN
            \(add("OLD.organisation_id", "OLD.state", -1))
            \(add("NEW.organisation_id", "NEW.state", 1))
            END
            """,
            "CREATE TRIGGER account_counts_delete AFTER DELETE ON accounts BEGIN\n"
                + add("OLD.organisation_id", "OLD.state", -1) + "\nEND",
        ]
    }

    static var postgres: [String] {
        [
            """
            CREATE FUNCTION account_counts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP IN ('UPDATE', 'DELETE') THEN
                    \(add("OLD.organisation_id", "OLD.state", -1))
                END IF;
                IF TG_OP IN ('INSERT', 'UPDATE') THEN
                    \(add("NEW.organisation_id", "NEW.state", 1))
                END IF;
                RETURN NULL;
            END $$
            """,
            "CREATE TRIGGER account_counts_insert AFTER INSERT ON accounts FOR EACH ROW EXECUTE FUNCTION account_counts_changed()",
            """
            CREATE TRIGGER account_counts_update AFTER UPDATE OF state, organisation_id ON accounts FOR EACH ROW
            WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.organisation_id IS DISTINCT FROM NEW.organisation_id)
            EXECUTE FUNCTION account_counts_changed()
            """,
            "CREATE TRIGGER account_counts_delete AFTER DELETE ON accounts FOR EACH ROW EXECUTE FUNCTION account_counts_changed()",
        ]
    }
}
