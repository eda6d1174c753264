import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLKit
import Vapor

/// Postfix's socketmap protocol (socketmap_table(5)): netstring requests `NAME KEY`, netstring replies
/// `OK value`, `NOTFOUND ` or `TEMP reason`. Postfix asks it which recipients exist, where aliases lead and
/// who may send as an address, so mail routing follows the directory with nothing copied into Postfix.
enum Socketmap {
    /// The maps Postfix's configuration names (mail/postfix/main.cf.in).
    enum Map: String, Sendable {
        case mailbox, alias, senders, domain
    }

    enum Reply: Equatable, Sendable {
        case ok(String)
        case notFound
        case temporary(String)

        var text: String {
            switch self {
            case .ok(let value): "OK \(value)"
            case .notFound: "NOTFOUND "
            case .temporary(let reason): "TEMP \(reason)"
            }
        }
    }

    /// One netstring from the front of `bytes`: its text and the bytes it used, nil when incomplete.
    /// Throws on bytes that are not a netstring at all.
    static func decode(_ bytes: [UInt8]) throws -> (String, consumed: Int)? {
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else {
            if bytes.count > 10 { throw SocketmapError.malformed }
            return nil
        }
        guard colon > 0, colon <= 10, let length = Int(String(decoding: bytes[..<colon], as: UTF8.self)),
            length >= 0, length <= 100_000
        else { throw SocketmapError.malformed }
        let end = colon + 1 + length
        guard bytes.count > end else { return nil }
        guard bytes[end] == UInt8(ascii: ",") else { throw SocketmapError.malformed }
        return (String(decoding: bytes[(colon + 1)..<end], as: UTF8.self), end + 1)
    }

    static func encode(_ text: String) -> [UInt8] {
        let body = Array(text.utf8)
        return Array("\(body.count):".utf8) + body + [UInt8(ascii: ",")]
    }

    /// The answer to one request, read from the directory.
    static func answer(_ request: String, directory: MailDirectory, mailDomain: String) async -> Reply {
        guard let space = request.firstIndex(of: " "), let map = Map(rawValue: String(request[..<space])) else {
            return .temporary("unknown map")
        }
        let key = String(request[request.index(after: space)...]).lowercased()
        do {
            switch map {
            case .domain:
                return directory.isDomain(key, mailDomain: mailDomain) ? .ok(key) : .notFound
            case .mailbox:
                return try await directory.mailbox(for: key).map { .ok($0.address) } ?? .notFound
            case .alias:
                return try await directory.aliasTarget(of: key).map { .ok($0) } ?? .notFound
            case .senders:
                let senders = try await directory.senders(of: key)
                return senders.isEmpty ? .notFound : .ok(senders.joined(separator: ","))
            }
        } catch {
            // Postfix defers the message and asks again: mail waits rather than bouncing.
            return .temporary("directory unavailable")
        }
    }
}

enum SocketmapError: Error { case malformed }

/// Serves the socketmap on the address the settings give, for as long as `onboard serve` runs. Only the
/// serving process listens: a one-off command (a token, the outbox) beside it must not fight it for the port.
final class SocketmapServer: LifecycleHandler, Sendable {
    private let channel: any Channel
    private let task: Task<Void, Never>

    private init(channel: any Channel, task: Task<Void, Never>) {
        self.channel = channel
        self.task = task
    }

    static func start(_ app: Application, address: ServerAddress) async throws -> SocketmapServer {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: address.host, port: address.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let directory = MailDirectory(
            sql: app.db as! any SQLDatabase, defaultQuotaBytes: app.settings.mailServer?.quotaBytes ?? 0)
        let domain = app.settings.mailDomain
        let logger = app.logger
        logger.info("socketmap for Postfix on \(address)")
        let task = Task<Void, Never> {
            _ = try? await server.executeThenClose { connections in
                await withDiscardingTaskGroup { group in
                    do {
                        for try await connection in connections {
                            group.addTask { await Self.serve(connection, directory: directory, domain: domain) }
                        }
                    } catch {
                        logger.debug("socketmap stopped: \(error)")
                    }
                }
            }
        }
        return SocketmapServer(channel: server.channel, task: task)
    }

    func shutdownAsync(_ app: Application) async {
        try? await channel.close()
        await task.value
    }

    private static func serve(
        _ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, directory: MailDirectory, domain: String
    ) async {
        try? await connection.executeThenClose { inbound, outbound in
            var pending: [UInt8] = []
            for try await var part in inbound {
                pending += part.readBytes(length: part.readableBytes) ?? []
                while let (request, used) = try Socketmap.decode(pending) {
                    pending.removeFirst(used)
                    let reply = await Socketmap.answer(request, directory: directory, mailDomain: domain)
                    try await outbound.write(ByteBuffer(bytes: Socketmap.encode(reply.text)))
                }
            }
        }
    }
}
