import Logging
import OnboardApp
import Vapor

@main
enum Entrypoint {
    static func main() async throws {
        var env = try Environment.detect()
        // Vapor's console logger, behind redaction: no token, cookie, password or code reaches a log.
        try LoggingSystem.bootstrap(from: &env) { level in
            let console = Terminal()
            return { label in
                RedactingLogHandler(wrapping: ConsoleLogger(label: label, console: console, level: level))
            }
        }

        let settings: Settings
        do {
            settings = try Settings.load(from: ProcessInfo.processInfo.environment)
        } catch {
            // The message names the setting, never its value.
            FileHandle.standardError.write(Data("onboard: \(error.description)\n".utf8))
            exit(78)
        }

        let app = try await Application.make(env)
        do {
            try await configure(app, Dependencies(settings: settings))
        } catch {
            app.logger.report(error: error)
            try? await app.asyncShutdown()
            exit(1)
        }
        do {
            try await app.execute()
        } catch {
            // `execute` has already reported it; a failed command exits non-zero without a crash dump.
            try? await app.asyncShutdown()
            exit(1)
        }
        try await app.asyncShutdown()
    }
}
