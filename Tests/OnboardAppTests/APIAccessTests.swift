import Foundation
import Testing

@testable import OnboardApp

@Suite("API access")
struct APIAccessTests {
    @Test("Every operation in the OpenAPI document has its roles in APIAccess, and nothing else is listed")
    func everyOperationHasRoles() {
        let operations = Set(
            OpenAPIDocument.text.matches(of: /operationId: ([A-Za-z]+)/).map { String($0.output.1) })
        #expect(!operations.isEmpty)
        #expect(Set(APIAccess.rules.keys).union(APIAccess.open) == operations)
        #expect(APIAccess.open.isDisjoint(with: APIAccess.rules.keys))
    }
}
