import Fluent
import SQLKit

/// The national directory: directory details on accounts, shared mailboxes that can be hidden, and one
/// searchable entry per account, organisation and shared mailbox, indexed by trigrams of its folded text.
///
/// Triggers keep the entries current in the same transaction as whatever changed the source rows, so no
/// write path (page, API, bulk sheet, retention, import) can forget them. Folding happens in SQL here and in
/// `DirectoryText.fold` for what people type; both drop accents, case and apostrophes (docs/directory.md).
struct M023_Directory: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        let postgres = sql.dialect.name == "postgresql"
        for field in ["job_title", "department", "work_phone"] {
            try await database.schema("accounts").field(.string(field), .string).update()
        }
        try await database.schema("shared_mailboxes")
            .field("hidden_from_directory", .bool, .required, .sql(.default(false))).update()
        try await database.schema("directory_entries")
            .field("seq", .int64, .identifier(auto: true))
            .field("entry_id", .uuid, .required)
            .field("kind", .string, .required)
            .field("organisation_id", .uuid)
            .field("listed", .bool, .required)
            .field("sort_name", .string, .required)
            .field("folded", .string, .required)
            .unique(on: "entry_id")
            .create()
        try await sql.raw(
            "CREATE INDEX directory_entries_organisation_idx ON directory_entries (organisation_id, kind)"
        )
        .run()
        let statements = postgres ? Self.postgres : Self.sqlite
        for statement in statements { try await sql.raw(SQLQueryString(statement)).run() }
        // Entries for what already exists; from here on the triggers keep them.
        for statement in Self.backfill(postgres: postgres) { try await sql.raw(SQLQueryString(statement)).run() }
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        let postgres = sql.dialect.name == "postgresql"
        for trigger in Self.triggers {
            let (name, table) = trigger
            try await sql.raw(SQLQueryString("DROP TRIGGER IF EXISTS \(name)\(postgres ? " ON \(table)" : "")")).run()
        }
        if postgres {
            for function in [
                "directory_accounts_changed()", "directory_people_changed()", "directory_organisations_changed()",
                "directory_shared_changed()", "directory_refresh_person(uuid)", "directory_refresh_organisation(uuid)",
                "directory_refresh_shared(uuid)", "onboard_fold(text)",
            ] {
                try await sql.raw(SQLQueryString("DROP FUNCTION IF EXISTS \(function)")).run()
            }
        } else {
            for table in ["directory_people_fts", "directory_organisations_fts", "directory_shared_fts"] {
                try await sql.raw(SQLQueryString("DROP TABLE IF EXISTS \(table)")).run()
            }
        }
        try await sql.raw("DROP INDEX IF EXISTS directory_entries_organisation_idx").run()
        try await database.schema("directory_entries").delete()
        try await database.schema("shared_mailboxes").deleteField("hidden_from_directory").update()
        for field in ["work_phone", "department", "job_title"] {
            try await database.schema("accounts").deleteField(.string(field)).update()
        }
    }

    static let triggers: [(String, String)] = [
        ("directory_accounts_insert", "accounts"), ("directory_accounts_update", "accounts"),
        ("directory_accounts_delete", "accounts"), ("directory_people_update", "people"),
        ("directory_organisations_insert", "organisations"), ("directory_organisations_update", "organisations"),
        ("directory_organisations_delete", "organisations"), ("directory_shared_insert", "shared_mailboxes"),
        ("directory_shared_update", "shared_mailboxes"), ("directory_shared_delete", "shared_mailboxes"),
        ("directory_entries_insert", "directory_entries"), ("directory_entries_delete", "directory_entries"),
    ]

    static let accountColumns = "state, address, organisation_id, person_id, job_title, department, work_phone"
    static let organisationColumns = "name, ods_code, postcode, status"
    static let sharedColumns = "address, display_name, organisation_id, hidden_from_directory"

    /// `IS DISTINCT FROM` (PostgreSQL) or `IS NOT` (SQLite) for each column: only real changes re-index.
    static func changed(_ columns: String, postgres: Bool) -> String {
        columns.split(separator: ",").map { column in
            let c = column.trimmingCharacters(in: .whitespaces)
            return "OLD.\(c) \(postgres ? "IS DISTINCT FROM" : "IS NOT") NEW.\(c)"
        }.joined(separator: " OR ")
    }

    // MARK: - SQLite

    /// Letters SQLite's trigram tokenizer does not fold (it removes accents and case itself), as in
    /// `AccountNaming.special`, and the apostrophes that names drop.
    static let sqliteSpecial: [(String, String)] = [
        ("ß", "ss"), ("ẞ", "ss"), ("ø", "o"), ("Ø", "o"), ("æ", "ae"), ("Æ", "ae"), ("œ", "oe"), ("Œ", "oe"),
        ("ł", "l"), ("Ł", "l"), ("đ", "d"), ("Đ", "d"), ("ð", "d"), ("Ð", "d"), ("þ", "th"), ("Þ", "th"),
        ("ı", "i"), ("'", ""), ("’", ""), ("‘", ""), ("`", ""), ("´", ""), ("ʼ", ""),
    ]

    static func sqliteFold(_ expression: String) -> String {
        sqliteSpecial.reduce("lower(\(expression))") { inner, pair in
            "replace(\(inner), '\(pair.0.replacingOccurrences(of: "'", with: "''"))', '\(pair.1)')"
        }
    }

    static func personSelect(where condition: String, postgres: Bool) -> String {
        let localPart =
            postgres ? "split_part(a.address, '@', 1)" : "substr(a.address, 1, instr(a.address || '@', '@') - 1)"
        let text =
            "p.given_name || ' ' || p.family_name || ' ' || \(localPart) || ' ' || COALESCE(a.job_title, '') || ' ' || COALESCE(a.department, '')"
        return """
            INSERT INTO directory_entries (entry_id, kind, organisation_id, listed, sort_name, folded)
            SELECT a.id, 'person', a.organisation_id, a.state = 'active', lower(p.family_name || ' ' || p.given_name),
                \(postgres ? "onboard_fold(\(text))" : sqliteFold(text))
            FROM accounts a JOIN people p ON p.id = a.person_id WHERE \(condition)
            """
    }

    static func organisationSelect(where condition: String, postgres: Bool) -> String {
        let text =
            "o.name || ' ' || COALESCE(o.ods_code, '') || ' ' || COALESCE(o.postcode, '') || ' ' || replace(COALESCE(o.postcode, ''), ' ', '')"
        return """
            INSERT INTO directory_entries (entry_id, kind, organisation_id, listed, sort_name, folded)
            SELECT o.id, 'organisation', o.id, o.status <> 'closed', lower(o.name),
                \(postgres ? "onboard_fold(\(text))" : sqliteFold(text))
            FROM organisations o WHERE \(condition)
            """
    }

    static func sharedSelect(where condition: String, postgres: Bool) -> String {
        let localPart =
            postgres ? "split_part(s.address, '@', 1)" : "substr(s.address, 1, instr(s.address || '@', '@') - 1)"
        let text = "s.display_name || ' ' || \(localPart)"
        return """
            INSERT INTO directory_entries (entry_id, kind, organisation_id, listed, sort_name, folded)
            SELECT s.id, 'shared', s.organisation_id, NOT s.hidden_from_directory, lower(s.display_name),
                \(postgres ? "onboard_fold(\(text))" : sqliteFold(text))
            FROM shared_mailboxes s WHERE \(condition)
            """
    }

    static var sqlite: [String] {
        let fts = [
            "person": "directory_people_fts", "organisation": "directory_organisations_fts",
            "shared": "directory_shared_fts",
        ]
        var statements = fts.values.sorted().map {
            // Contentless: the text lives in directory_entries; a row is deleted by its rowid (the entry's seq).
            "CREATE VIRTUAL TABLE \($0) USING fts5(folded, content='', contentless_delete=1, tokenize='trigram remove_diacritics 1')"
        }
        let inserts = fts.keys.sorted().map {
            "INSERT INTO \(fts[$0]!) (rowid, folded) SELECT NEW.seq, NEW.folded WHERE NEW.kind = '\($0)';"
        }.joined(separator: "\n")
        let deletes = fts.keys.sorted().map {
            "DELETE FROM \(fts[$0]!) WHERE rowid = OLD.seq AND OLD.kind = '\($0)';"
        }.joined(separator: "\n")
        statements += [
            "CREATE TRIGGER directory_entries_insert AFTER INSERT ON directory_entries BEGIN\n\(inserts)\nEND",
            "CREATE TRIGGER directory_entries_delete AFTER DELETE ON directory_entries BEGIN\n\(deletes)\nEND",
        ]
        func refresh(_ select: String, id: String) -> String {
            "DELETE FROM directory_entries WHERE entry_id = \(id);\n\(select);"
        }
        let person = refresh(personSelect(where: "a.id = NEW.id", postgres: false), id: "NEW.id")
        let organisation = refresh(organisationSelect(where: "o.id = NEW.id", postgres: false), id: "NEW.id")
        let shared = refresh(sharedSelect(where: "s.id = NEW.id", postgres: false), id: "NEW.id")
        statements += [
            "CREATE TRIGGER directory_accounts_insert AFTER INSERT ON accounts BEGIN\n\(person)\nEND",
            """
            CREATE TRIGGER directory_accounts_update AFTER UPDATE OF \(accountColumns) ON accounts
            WHEN \(changed(accountColumns, postgres: false)) BEGIN
            \(person)
            END
            """,
            "CREATE TRIGGER directory_accounts_delete AFTER DELETE ON accounts BEGIN DELETE FROM directory_entries WHERE entry_id = OLD.id; END",
            """
            CREATE TRIGGER directory_people_update AFTER UPDATE OF given_name, family_name ON people
            WHEN \(changed("given_name, family_name", postgres: false)) BEGIN
            DELETE FROM directory_entries WHERE entry_id IN (SELECT id FROM accounts WHERE person_id = NEW.id);
            \(personSelect(where: "a.person_id = NEW.id", postgres: false));
            END
            """,
            "CREATE TRIGGER directory_organisations_insert AFTER INSERT ON organisations BEGIN\n\(organisation)\nEND",
            """
            CREATE TRIGGER directory_organisations_update AFTER UPDATE OF \(organisationColumns) ON organisations
            WHEN \(changed(organisationColumns, postgres: false)) BEGIN
            \(organisation)
            END
            """,
            "CREATE TRIGGER directory_organisations_delete AFTER DELETE ON organisations BEGIN DELETE FROM directory_entries WHERE entry_id = OLD.id; END",
            "CREATE TRIGGER directory_shared_insert AFTER INSERT ON shared_mailboxes BEGIN\n\(shared)\nEND",
            """
            CREATE TRIGGER directory_shared_update AFTER UPDATE OF \(sharedColumns) ON shared_mailboxes
            WHEN \(changed(sharedColumns, postgres: false)) BEGIN
            \(shared)
            END
            """,
            "CREATE TRIGGER directory_shared_delete AFTER DELETE ON shared_mailboxes BEGIN DELETE FROM directory_entries WHERE entry_id = OLD.id; END",
        ]
        return statements
    }

    // MARK: - PostgreSQL

    static var postgres: [String] {
        let kinds = [
            "person": "directory_people_trgm", "organisation": "directory_organisations_trgm",
            "shared": "directory_shared_trgm",
        ]
        var statements = [
            // Both are trusted extensions: the database's owner may create them.
            "CREATE EXTENSION IF NOT EXISTS pg_trgm",
            "CREATE EXTENSION IF NOT EXISTS unaccent",
            """
            CREATE FUNCTION onboard_fold(t text) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
            $$ SELECT translate(lower(unaccent('unaccent'::regdictionary, t)), '''’‘`´ʼ', '') $$
            """,
        ]
        statements += kinds.keys.sorted().map {
            "CREATE INDEX \(kinds[$0]!) ON directory_entries USING gin (folded gin_trgm_ops) WHERE kind = '\($0)'"
        }
        statements += [
            """
            CREATE FUNCTION directory_refresh_person(account uuid) RETURNS void LANGUAGE sql AS $$
            DELETE FROM directory_entries WHERE entry_id = account;
            \(personSelect(where: "a.id = account", postgres: true));
            $$
            """,
            """
            CREATE FUNCTION directory_refresh_organisation(organisation uuid) RETURNS void LANGUAGE sql AS $$
            DELETE FROM directory_entries WHERE entry_id = organisation;
            \(organisationSelect(where: "o.id = organisation", postgres: true));
            $$
            """,
            """
            CREATE FUNCTION directory_refresh_shared(mailbox uuid) RETURNS void LANGUAGE sql AS $$
            DELETE FROM directory_entries WHERE entry_id = mailbox;
            \(sharedSelect(where: "s.id = mailbox", postgres: true));
            $$
            """,
        ]
        func function(_ name: String, _ body: String) -> String {
            """
            CREATE FUNCTION \(name)() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    DELETE FROM directory_entries WHERE entry_id = OLD.id;
                ELSE
                    \(body)
                END IF;
                RETURN NULL;
            END $$
            """
        }
        statements += [
            function("directory_accounts_changed", "PERFORM directory_refresh_person(NEW.id);"),
            function(
                "directory_people_changed",
                "PERFORM directory_refresh_person(a.id) FROM accounts a WHERE a.person_id = NEW.id;"),
            function("directory_organisations_changed", "PERFORM directory_refresh_organisation(NEW.id);"),
            function("directory_shared_changed", "PERFORM directory_refresh_shared(NEW.id);"),
        ]
        func triggers(_ table: String, _ prefix: String, _ columns: String, _ function: String) -> [String] {
            [
                "CREATE TRIGGER \(prefix)_insert AFTER INSERT ON \(table) FOR EACH ROW EXECUTE FUNCTION \(function)()",
                """
                CREATE TRIGGER \(prefix)_update AFTER UPDATE OF \(columns) ON \(table) FOR EACH ROW
                WHEN (\(changed(columns, postgres: true))) EXECUTE FUNCTION \(function)()
                """,
                "CREATE TRIGGER \(prefix)_delete AFTER DELETE ON \(table) FOR EACH ROW EXECUTE FUNCTION \(function)()",
            ]
        }
        statements += triggers("accounts", "directory_accounts", accountColumns, "directory_accounts_changed")
        statements.append(
            """
            CREATE TRIGGER directory_people_update AFTER UPDATE OF given_name, family_name ON people FOR EACH ROW
            WHEN (\(changed("given_name, family_name", postgres: true))) EXECUTE FUNCTION directory_people_changed()
            """)
        statements += triggers(
            "organisations", "directory_organisations", organisationColumns, "directory_organisations_changed")
        statements += triggers("shared_mailboxes", "directory_shared", sharedColumns, "directory_shared_changed")
        return statements
    }

    static func backfill(postgres: Bool) -> [String] {
        [
            organisationSelect(where: "1 = 1", postgres: postgres),
            personSelect(where: "1 = 1", postgres: postgres),
            sharedSelect(where: "1 = 1", postgres: postgres),
        ]
    }
}
