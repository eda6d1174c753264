import Foundation

/// How long something has waited, as staff read it in a queue: whole days once it is a day, else hours.
public enum Waiting {
    public static func describe(since start: Date, now: Date) -> String {
        let seconds = max(0, now.timeIntervalSince(start))
        let days = Int(seconds / 86_400)
        if days >= 1 { return days == 1 ? "1 day" : "\(days) days" }
        let hours = Int(seconds / 3_600)
        if hours >= 1 { return hours == 1 ? "1 hour" : "\(hours) hours" }
        return "less than an hour"
    }
}
