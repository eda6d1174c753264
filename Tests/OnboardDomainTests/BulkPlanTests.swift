import Testing

@testable import OnboardDomain

@Suite("Bulk plans: idempotent by organisation and local id")
struct BulkPlanTests {
    func user(_ id: String, store: String = "FA001", mobile: String = "+447700900123") -> BulkSheet.User {
        BulkSheet.User(
            row: 2, localID: id, firstName: "Ann", surname: "Lee", mobile: mobile, storeODS: store, role: .pharmacist)
    }

    func existing(_ id: String, store: String = "FA001") -> BulkPlan.Existing {
        BulkPlan.Existing(
            localID: id, firstName: "Ann", surname: "Lee", mobile: "+447700900123", storeODS: store, role: .pharmacist)
    }

    @Test("New people are created; the same sheet again changes nothing")
    func idempotent() {
        let rows = [user("E1"), user("E2")]
        #expect(BulkPlan.users(rows, existing: [:]) == [.create(rows[0]), .create(rows[1])])
        let again = BulkPlan.users(rows, existing: ["E1": existing("E1"), "E2": existing("E2")])
        #expect(BulkPlan.summary(again) == BulkPlan.Summary(unchanged: 2))
    }

    @Test("Someone who moved store, or changed number, is updated, not duplicated")
    func moved() {
        let row = user("E1", store: "FA002", mobile: "+447700900999")
        #expect(
            BulkPlan.users([row], existing: ["E1": existing("E1")]) == [
                .update(row, changed: ["mobile", "store_ods_code"])
            ])
    }

    @Test("A leaver row marks someone registered before; someone who left comes back as a joiner")
    func leavers() {
        let gone = BulkSheet.User(
            row: 3, localID: "E1", firstName: "Ann", surname: "Lee", mobile: "+447700900123", storeODS: "FA001",
            role: .pharmacist, leaver: true)
        #expect(BulkPlan.users([gone], existing: ["E1": existing("E1")]) == [.leave(gone)])
        #expect(BulkPlan.users([gone], existing: [:]) == [.unchanged(gone)])
        let back = user("E1")
        let left = BulkPlan.Existing(
            localID: "E1", firstName: "Ann", surname: "Lee", mobile: "+447700900123", storeODS: "FA001",
            role: .pharmacist, left: true)
        #expect(BulkPlan.users([back], existing: ["E1": left]) == [.leftBefore(back)])
    }

    @Test("A store keeps its first mailbox; a different name later is reported")
    func mailboxes() {
        let stores = [
            BulkSheet.Store(row: 2, ods: "FA001", premisesName: "A", gphcPremisesNumber: "1234567", sharedMailbox: "a"),
            BulkSheet.Store(row: 3, ods: "FA002", premisesName: "B", gphcPremisesNumber: "1234568", sharedMailbox: "b"),
            BulkSheet.Store(row: 4, ods: "FA003", premisesName: "C", gphcPremisesNumber: "1234569", sharedMailbox: "c"),
        ]
        let (create, conflicts) = BulkPlan.mailboxes(stores, existing: ["FA001": "a", "FA002": "old.b"])
        #expect(create.map(\.ods) == ["FA003"])
        #expect(conflicts.map(\.row) == [3])
        #expect(conflicts.first?.message == "FA002 already has the shared mailbox old.b. It keeps that one")
    }
}
