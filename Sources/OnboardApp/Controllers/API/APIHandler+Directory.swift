import Foundation
import OnboardDomain

extension APIHandler {
    func searchDirectory(_ input: Operations.SearchDirectory.Input) async throws -> Operations.SearchDirectory.Output {
        let (req, _) = try context()
        let query = input.query
        let kind = query.kind.flatMap { DirectoryKind(rawValue: $0.rawValue) } ?? .people
        let search = DirectorySearch(text: query.q, kind: kind, page: query.page ?? 1)
        let problems = search.problems()
        guard problems.isEmpty else { throw APIProblem(problems) }
        // An exact address or ODS code is one entry: the API answers with that entry alone.
        let page: DirectorySearch.Page
        switch try await search.run(on: req.sql) {
        case .entry(let kind, let id):
            let found = try await DirectorySearch.entry(id, kind: kind, on: req.sql).map { [$0] } ?? []
            page = DirectorySearch.Page(entries: found, matched: found.count, overflow: false, page: 1)
        case .results(let results): page = results
        }
        let items = page.entries.map { entry in
            Components.Schemas.DirectoryEntry(
                id: entry.id.uuidString.lowercased(), kind: .init(rawValue: entry.kind.rawValue) ?? .people,
                name: entry.name, displayName: entry.displayName, address: entry.address,
                organisation: entry.kind == .organisations ? nil : entry.organisation, ods: entry.ods,
                jobTitle: entry.jobTitle, department: entry.department, workPhone: entry.workPhone, _type: entry.type,
                postcode: entry.postcode)
        }
        return .ok(.init(body: .json(.init(items: items, page: page.page, matched: page.matched, more: page.overflow))))
    }
}
