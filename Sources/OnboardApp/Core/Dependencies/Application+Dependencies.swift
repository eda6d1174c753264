import NIOPosix
import Vapor

/// The side-effect seams and settings one application uses, kept in `app.storage`.
public struct Dependencies: Sendable {
    public var settings: Settings
    public var clock: AppClock
    public var secrets: SecretGenerator
    public var passwords: PasswordHashing
    public var messages: MessageSender
    /// Where account messages leave: GOV.UK Notify when `NOTIFY_API_KEY` is set, else the development sink.
    var notifier: Notifier
    /// What the in-memory sender has sent: shown at /dev/messages in development, read by tests.
    public var sentMessages: SentMessages
    /// Scans migration transfers: clamd at `CLAMD_ADDRESS`.
    var scanner: MalwareScanner

    public init(
        settings: Settings, clock: AppClock = .live, secrets: SecretGenerator = .live,
        passwords: PasswordHashing = .live, sentMessages: SentMessages = SentMessages()
    ) {
        self.sentMessages = sentMessages
        // With Notify configured, the applications' emails leave through it too; otherwise development keeps
        // them in memory for /dev/messages and the tests.
        self.messages = settings.notify.map(MessageSender.govukNotify) ?? .memory(sentMessages)
        self.notifier = settings.notify.map(Notifier.govukNotify) ?? .developmentSink
        self.scanner = .clamd(
            host: settings.clamd.host, port: settings.clamd.port, group: MultiThreadedEventLoopGroup.singleton)
        self.settings = settings
        self.clock = clock
        self.secrets = secrets
        self.passwords = passwords
    }
}

extension Application {
    private struct DependenciesKey: StorageKey {
        typealias Value = Dependencies
    }

    public var dependencies: Dependencies {
        get {
            guard let value = storage[DependenciesKey.self] else {
                fatalError("configure(app, dependencies) was not called")
            }
            return value
        }
        set { storage[DependenciesKey.self] = newValue }
    }

    public var settings: Settings { dependencies.settings }
    public var clock: AppClock { dependencies.clock }
}

extension Request {
    public var settings: Settings { application.settings }
    public var now: Date { application.clock.now() }
}
