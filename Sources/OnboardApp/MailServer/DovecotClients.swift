import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Dovecot's doveadm HTTP API: one command per request, `[[command, parameters, tag]]` in and
/// `[["doveadmResponse", result, tag]]` or `[["error", {...}, tag]]` out.
struct Doveadm: Sendable {
    let url: String
    let key: String
    let client: HTTPClient

    enum Value: Encodable, Sendable, ExpressibleByStringLiteral {
        case string(String)
        case array([String])

        init(stringLiteral value: String) { self = .string(value) }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let text): try container.encode(text)
            case .array(let list): try container.encode(list)
            }
        }
    }

    private struct Command: Encodable {
        let name: String
        let parameters: [String: Value]

        func encode(to encoder: any Encoder) throws {
            var container = encoder.unkeyedContainer()
            var inner = container.nestedUnkeyedContainer()
            try inner.encode(name)
            try inner.encode(parameters)
            try inner.encode("onboard")
        }
    }

    /// Runs a command and returns its result rows. A user the server has never seen is no error: there is
    /// nothing to end, count or erase.
    @discardableResult
    func run(_ name: String, _ parameters: [String: Value], timeout: TimeAmount = .seconds(5)) async throws
        -> [[String: String]]
    {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Authorization", value: "X-Dovecot-API " + Data(key.utf8).base64EncodedString())
        request.body = .bytes(ByteBuffer(data: try JSONEncoder().encode(Command(name: name, parameters: parameters))))
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: timeout)
        } catch {
            throw MailServerUnavailable(reason: "doveadm \(name): \(error)")
        }
        let body = try await response.body.collect(upTo: 4 * 1024 * 1024)
        guard response.status == .ok else {
            throw MailServerUnavailable(reason: "doveadm \(name) answered \(response.status.code)")
        }
        return try Self.rows(from: Data(buffer: body), command: name)
    }

    /// doveadm's exit codes for "no such user" and "nothing matched" (sysexits EX_NOUSER, and 2 for a user
    /// whose mailbox does not exist yet).
    /// What Full Access means in IMAP rights (RFC 4314 names, as doveadm takes them).
    static let fullAccessRights = [
        "lookup", "read", "write", "write-seen", "write-deleted", "insert", "post", "expunge", "create", "delete",
    ]

    static let harmlessExitCodes: Set<Int> = [2, 67, 68]

    static func rows(from data: Data, command: String) throws -> [[String: String]] {
        guard let outer = try JSONSerialization.jsonObject(with: data) as? [[Any]], let first = outer.first,
            let kind = first.first as? String
        else { throw MailServerUnavailable(reason: "doveadm \(command): unreadable answer") }
        if kind == "error" {
            let details = first.count > 1 ? first[1] as? [String: Any] : nil
            let code = details?["exitCode"] as? Int ?? -1
            if harmlessExitCodes.contains(code) { return [] }
            throw MailServerUnavailable(reason: "doveadm \(command) failed with exit code \(code)")
        }
        let result = first.count > 1 ? first[1] as? [[String: Any]] ?? [] : []
        return result.map { row in row.mapValues { "\($0)" } }
    }

    func usage(of address: String) async throws -> MailboxUsage? {
        // Asked while a page is drawn: a slow mail server costs the page a second at most, and the page
        // then says the figure is not available.
        let rows = try await run("quotaGet", ["user": .string(address)], timeout: .seconds(1))
        guard let storage = rows.first(where: { $0["type"] == "STORAGE" }) else { return nil }
        let messages = rows.first(where: { $0["type"] == "MESSAGE" }).flatMap { Int($0["value"] ?? "") } ?? 0
        // doveadm reports storage in kilobytes; a limit of "-" means none.
        let used = (Int64(storage["value"] ?? "") ?? 0) * 1024
        let limit = Int64(storage["limit"] ?? "").map { $0 * 1024 }
        return MailboxUsage(usedBytes: used, limitBytes: limit, messages: messages)
    }

    func found(user: String, query: [String]) async throws -> Bool {
        try await !run("search", ["user": .string(user), "query": .array(query)]).isEmpty
    }
}

/// Delivery over LMTP (RFC 2033): one message, one recipient, every reply checked.
enum LMTP {
    static func deliver(_ message: MailMessage, to server: ServerAddress, group: any EventLoopGroup) async throws {
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(.seconds(5))
                .connect(host: server.host, port: server.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw MailServerUnavailable(reason: "cannot connect to LMTP at \(server)")
        }
        try await channel.executeThenClose { inbound, outbound in
            var replies = ReplyReader(inbound.makeAsyncIterator())
            func expect(_ code: Int, after line: String?) async throws {
                if let line { try await outbound.write(ByteBuffer(string: line + "\r\n")) }
                let reply = try await replies.next()
                guard reply.code == code else {
                    throw MailServerUnavailable(
                        reason: "LMTP answered \(reply.code) \(reply.text) to \(line ?? "connect")")
                }
            }
            try await expect(220, after: nil)
            try await expect(250, after: "LHLO onboard")
            try await expect(250, after: "MAIL FROM:<\(message.from)>")
            try await expect(250, after: "RCPT TO:<\(message.to)>")
            try await expect(354, after: "DATA")
            try await expect(250, after: dotStuffed(message.rendered) + ".")
            try? await outbound.write(ByteBuffer(string: "QUIT\r\n"))
        }
    }

    /// A line that starts with a dot gets another, so it cannot end the message early.
    static func dotStuffed(_ text: String) -> String {
        text.components(separatedBy: "\r\n").map { $0.hasPrefix(".") ? "." + $0 : $0 }.joined(separator: "\r\n")
    }

    struct Reply: Equatable {
        let code: Int
        let text: String
    }

    /// Reads whole replies, joining multi-line ones (`250-...` then `250 ...`).
    struct ReplyReader {
        var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        var buffer = ""

        init(_ iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) { self.iterator = iterator }

        mutating func next() async throws -> Reply {
            var text: [String] = []
            while true {
                while let end = buffer.range(of: "\r\n") {
                    let line = String(buffer[..<end.lowerBound])
                    buffer.removeSubrange(..<end.upperBound)
                    guard line.count >= 3, let code = Int(line.prefix(3)) else {
                        throw MailServerUnavailable(reason: "LMTP sent an unreadable line")
                    }
                    text.append(String(line.dropFirst(4)))
                    if line.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] == " " {
                        return Reply(code: code, text: text.joined(separator: " "))
                    }
                }
                guard var part = try await iterator.next() else {
                    throw MailServerUnavailable(reason: "LMTP closed the connection")
                }
                buffer += part.readString(length: part.readableBytes) ?? ""
            }
        }
    }
}
