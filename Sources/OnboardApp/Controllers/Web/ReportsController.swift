import Foundation
import OnboardDomain
import SQLKit
import Vapor

/// Reports with charts: each a page of sections (an SVG chart and the same figures as a table) and a CSV.
struct ReportsController {
    struct ReportLink: Encodable {
        let href: String
        let title: String
        let summary: String
    }

    struct IndexPage: Encodable {
        let reports: [ReportLink]
        let scopeNote: String
    }

    static func scopeNote(_ principal: Principal) -> String {
        principal.has(.nationalAdmin)
            ? "Figures cover the whole service."
            : "Figures cover only the organisations and regions in your scope."
    }

    func index(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        try await req.render(
            "oversight/reports", req.chrome("Reports", breadcrumbs: [.init(text: "Home", href: SiteURL.home.path)]),
            IndexPage(
                reports: ReportKind.allCases.map {
                    ReportLink(href: SiteURL.report($0.rawValue).path, title: $0.title, summary: $0.summary)
                }, scopeNote: Self.scopeNote(principal)))
    }

    struct SectionView: Encodable {
        let heading: String
        let chart: String?
        let caption: String
        let columns: [String]
        let rows: [[String]]
        let hasRows: Bool
        let truncated: String?
    }

    struct ReportPage: Encodable {
        let title: String
        let summary: String
        let scopeNote: String
        let sections: [SectionView]
        let csvHref: String
    }

    private func kind(_ req: Request) throws -> ReportKind {
        guard let kind = PathParameter.kind.value(in: req).flatMap(ReportKind.init(rawValue:)) else {
            throw Abort(.notFound)
        }
        return kind
    }

    func show(req: Request, principal: Principal) async throws -> any AsyncResponseEncodable {
        let kind = try kind(req)
        let report = try await Reports.build(kind, for: principal, on: req.sql)
        try await req.audit(AuditEntry("report.viewed", target: "report", id: kind.rawValue), on: req.sql)
        return try await req.render(
            "oversight/report",
            req.chrome(
                kind.title,
                breadcrumbs: [
                    .init(text: "Home", href: SiteURL.home.path), .init(text: "Reports", href: SiteURL.reports.path),
                ]),
            ReportPage(
                title: kind.title, summary: kind.summary, scopeNote: Self.scopeNote(principal),
                sections: report.sections.map { section in
                    SectionView(
                        heading: section.heading, chart: section.chart?.svg, caption: section.table.caption,
                        columns: section.table.columns, rows: section.table.rows, hasRows: !section.table.rows.isEmpty,
                        truncated: section.table.truncatedFrom.map {
                            "Showing the first \(section.table.rows.count) of \(BarChart.grouped($0)). "
                                + "The CSV has them all."
                        })
                }, csvHref: SiteURL.reportExport(kind.rawValue).path))
    }

    func export(req: Request, principal: Principal) async throws -> Response {
        let kind = try kind(req)
        let report = try await Reports.build(kind, for: principal, allRows: true, on: req.sql)
        try await req.audit(AuditEntry("report.exported", target: "report", id: kind.rawValue), on: req.sql)
        let response = Response(status: .ok, body: .init(string: report.csv))
        response.headers.replaceOrAdd(name: .contentType, value: "text/csv; charset=utf-8")
        response.headers.replaceOrAdd(
            name: .contentDisposition, value: "attachment; filename=\"report-\(kind.rawValue).csv\"")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }
}
