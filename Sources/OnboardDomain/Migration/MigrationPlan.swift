import Foundation

/// A calendar day, counted from 1970-01-01, so plans move by whole days whatever the time zone.
public struct Day: Comparable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let ordinal: Int

    public init(ordinal: Int) { self.ordinal = ordinal }

    /// From `YYYY-MM-DD`; nil for anything else, or a date that does not exist.
    public init?(iso text: String) {
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), (1...12).contains(m),
            (1...Day.daysIn(month: m, year: y)).contains(d)
        else { return nil }
        ordinal = Day.ordinal(year: y, month: m, day: d)
    }

    public static func + (day: Day, days: Int) -> Day { Day(ordinal: day.ordinal + days) }
    public static func - (a: Day, b: Day) -> Int { a.ordinal - b.ordinal }
    public static func < (a: Day, b: Day) -> Bool { a.ordinal < b.ordinal }

    /// Monday is 0. 1970-01-01 was a Thursday.
    public var weekday: Int { ((ordinal % 7) + 7 + 3) % 7 }

    public var iso: String {
        let (y, m, d) = civil
        return String(format: "%04d-%02d-%02d", y, m, d)
    }

    public var description: String { iso }

    /// "31 March 2027", as people read dates.
    public var long: String {
        let (y, m, d) = civil
        return "\(d) \(Day.monthNames[m - 1]) \(y)"
    }

    public static let monthNames = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ]

    // Howard Hinnant's days-from-civil and civil-from-days, for the proleptic Gregorian calendar.
    public static func ordinal(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Year, month and day.
    public var civil: (year: Int, month: Int, day: Int) {
        let z = ordinal + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp + (mp < 10 ? 3 : -9)
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

/// How an organisation moves its email onto the service (the source's three options).
public enum MigrationOption: String, CaseIterable, Sendable, Codable {
    case selfService = "self_service"
    case partialManaged = "partial_managed"
    case managed

    public var title: String {
        switch self {
        case .selfService: "Self-service migration"
        case .partialManaged: "Partial managed (supported) migration"
        case .managed: "Managed migration"
        }
    }
}

/// Who does a task: the organisation, its ISM, or the national migration team.
public enum TaskOwner: String, CaseIterable, Sendable, Codable {
    case organisation, ism
    case nationalTeam = "national_team"

    public var title: String {
        switch self {
        case .organisation: "Organisation"
        case .ism: "Implementation support manager"
        case .nationalTeam: "National migration team"
        }
    }
}

/// One task of a plan template: it starts `offsetDays` from go-live (negative is before), lasts
/// `durationDays`, and cannot start before the tasks it depends on have finished.
public struct TaskTemplate: Equatable, Sendable, Codable {
    public let key: String
    public let title: String
    public let owner: TaskOwner
    public let durationDays: Int
    public let offsetDays: Int
    public let dependsOn: [String]

    public init(
        key: String, title: String, owner: TaskOwner, durationDays: Int, offsetDays: Int, dependsOn: [String] = []
    ) {
        self.key = key
        self.title = title
        self.owner = owner
        self.durationDays = durationDays
        self.offsetDays = offsetDays
        self.dependsOn = dependsOn
    }

    /// The same task done by someone else: how the supported and managed options differ.
    public func reassigned(to owner: TaskOwner) -> TaskTemplate {
        TaskTemplate(
            key: key, title: title, owner: owner, durationDays: durationDays, offsetDays: offsetDays,
            dependsOn: dependsOn)
    }

    /// Work that must be finished by go-live, rather than work after it (support, decommissioning).
    public var beforeGoLive: Bool { offsetDays + durationDays <= 0 }
}

/// A task placed on the calendar.
public struct PlannedTask: Equatable, Sendable {
    public let template: TaskTemplate
    public let start: Day
    public let end: Day
    /// Why it cannot fit, if it cannot: it would start before today, or run past go-live.
    public let problem: String?
}

public enum MigrationPlan {
    /// Places every task against go-live. A task starts at its offset, or later when a task it depends on
    /// ends later; it cannot fit when that pushes it past go-live (for work due before it) or when it
    /// would have to have started already.
    public static func generate(_ tasks: [TaskTemplate], goLive: Day, today: Day) -> [PlannedTask] {
        var placed: [String: PlannedTask] = [:]
        var order: [String] = []
        var visiting = Set<String>()
        let byKey = Dictionary(tasks.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        func place(_ task: TaskTemplate) {
            if placed[task.key] != nil || visiting.contains(task.key) { return }
            visiting.insert(task.key)
            for key in task.dependsOn { if let dep = byKey[key] { place(dep) } }
            visiting.remove(task.key)
            let earliest = task.dependsOn.compactMap { placed[$0]?.end }.max() ?? (goLive + task.offsetDays)
            let start = max(goLive + task.offsetDays, earliest)
            let end = start + task.durationDays
            var problem: String?
            if goLive + task.offsetDays < today {
                problem = "It should have started on \(goLive + task.offsetDays), before today: move go-live later"
            } else if task.beforeGoLive && end > goLive {
                problem = "It cannot finish before go-live after the tasks it waits for: move go-live later"
            }
            placed[task.key] = PlannedTask(template: task, start: start, end: end, problem: problem)
            order.append(task.key)
        }
        tasks.forEach(place)
        return tasks.compactMap { placed[$0.key] }
    }

    /// The earliest go-live from which no task would start before `today`: a plan with no go-live yet is
    /// placed against it, so it reads from today and nothing is late on the day it is made.
    public static func earliestGoLive(_ tasks: [TaskTemplate], today: Day) -> Day {
        today + max(0, tasks.map { -$0.offsetDays }.max() ?? 0)
    }

    /// Problems with a template itself: unknown or circular dependencies, durations below a day.
    public static func problems(in tasks: [TaskTemplate]) -> [String] {
        var problems: [String] = []
        let keys = Set(tasks.map(\.key))
        if keys.count != tasks.count { problems.append("Two tasks have the same key") }
        for task in tasks {
            if task.durationDays < 1 { problems.append("\(task.title) must last at least a day") }
            for key in task.dependsOn where !keys.contains(key) {
                problems.append("\(task.title) depends on \(key), which is not a task")
            }
        }
        let byKey = Dictionary(tasks.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        func cycle(_ key: String) -> Bool {
            if state[key] == 1 { return true }
            if state[key] == 2 { return false }
            state[key] = 1
            defer { state[key] = 2 }
            return (byKey[key]?.dependsOn ?? []).contains(where: cycle)
        }
        if tasks.map(\.key).contains(where: cycle) { problems.append("The tasks depend on each other in a circle") }
        return problems
    }

    /// Late: not done, and its end has passed.
    public static func isLate(_ task: PlannedTask, done: Bool, today: Day) -> Bool { !done && task.end < today }

    /// The plan templates the service starts with, per option: the source's self-migration plan, and the
    /// supported and managed variants where the national team does more.
    public static func defaultTemplate(for option: MigrationOption) -> [TaskTemplate] {
        var tasks = [
            TaskTemplate(
                key: "initiate", title: "Complete the project initiation document", owner: .organisation,
                durationDays: 5, offsetDays: -70),
            TaskTemplate(
                key: "inventory", title: "List mailboxes, shared mailboxes and data volumes", owner: .organisation,
                durationDays: 10, offsetDays: -65, dependsOn: ["initiate"]),
            TaskTemplate(
                key: "accounts", title: "Create accounts for every person moving", owner: .organisation,
                durationDays: 10, offsetDays: -50, dependsOn: ["inventory"]),
            TaskTemplate(
                key: "transfer-check", title: "Scan the data to transfer for malware", owner: .ism, durationDays: 7,
                offsetDays: -35, dependsOn: ["inventory"]),
            TaskTemplate(
                key: "pilot", title: "Move a pilot group and check their mail", owner: .organisation, durationDays: 7,
                offsetDays: -21, dependsOn: ["accounts", "transfer-check"]),
            TaskTemplate(
                key: "communications", title: "Tell staff the dates and what they need to do", owner: .organisation,
                durationDays: 5, offsetDays: -14, dependsOn: ["pilot"]),
            TaskTemplate(
                key: "cutover", title: "Move the remaining mailboxes and switch mail routing", owner: .organisation,
                durationDays: 5, offsetDays: -5, dependsOn: ["communications"]),
            TaskTemplate(
                key: "support", title: "Support staff after go-live", owner: .organisation, durationDays: 10,
                offsetDays: 0, dependsOn: ["cutover"]),
            TaskTemplate(
                key: "decommission", title: "Close the old email system", owner: .organisation, durationDays: 10,
                offsetDays: 14, dependsOn: ["support"]),
        ]
        switch option {
        case .selfService:
            break
        case .partialManaged:
            tasks[3] = tasks[3].reassigned(to: .nationalTeam)
            tasks.insert(
                TaskTemplate(
                    key: "tooling", title: "Set up the migration tooling with the national team", owner: .nationalTeam,
                    durationDays: 5, offsetDays: -45, dependsOn: ["inventory"]), at: 3)
        case .managed:
            tasks = tasks.map { task in
                task.owner == .organisation && !["initiate", "communications"].contains(task.key)
                    ? task.reassigned(to: .nationalTeam)
                    : task
            }
        }
        return tasks
    }
}

/// The migration checklist: items per option, some mandatory before go-live can be confirmed.
public struct ChecklistItem: Equatable, Sendable, Codable {
    public let key: String
    public let title: String
    public let mandatory: Bool

    public init(key: String, title: String, mandatory: Bool) {
        self.key = key
        self.title = title
        self.mandatory = mandatory
    }
}

public enum MigrationChecklist {
    public static func defaultItems(for option: MigrationOption) -> [ChecklistItem] {
        var items = [
            ChecklistItem(key: "pid-agreed", title: "Project initiation document agreed with the ISM", mandatory: true),
            ChecklistItem(
                key: "accounts-ready", title: "Accounts exist and are activated for everyone moving", mandatory: true),
            ChecklistItem(
                key: "transfer-clean", title: "Every transfer batch has passed the malware gate", mandatory: true),
            ChecklistItem(
                key: "routing", title: "Mail routing (MX records, connectors) is ready to switch", mandatory: true),
            ChecklistItem(key: "staff-told", title: "Staff have been told the dates and what to do", mandatory: true),
            ChecklistItem(key: "rollback", title: "A roll-back plan is written down", mandatory: false),
            ChecklistItem(key: "helpdesk", title: "The local helpdesk knows how to get help", mandatory: false),
        ]
        if option != .selfService {
            items.append(
                ChecklistItem(
                    key: "national-signoff", title: "The national migration team has signed off the move",
                    mandatory: true))
        }
        return items
    }

    /// The mandatory items not yet done: go-live waits for none.
    public static func outstanding(_ items: [ChecklistItem], done: Set<String>) -> [ChecklistItem] {
        items.filter { $0.mandatory && !done.contains($0.key) }
    }
}
