@invoices @invoices_14
Feature: Payments from risky sources are held and never credited while held
  Proves, in Cryptopay's words:
  - Invoices item 12: Make sure that you credit funds to the customer balance when the payment status is completed
  - Invoices item 14: Make sure that the relevant teams on your side (Support Team, Finance Team, Fraud Team, Transaction Monitoring Team) are aware of how Cryptopay payment risk scoring works and that incoming payments can be put on hold with the unresolved status and the context Illicit Resource
  Cryptopay scores every incoming payment. A high-risk payment puts the invoice on hold as unresolved
  (illicit resource); only Cryptopay's monitoring team can release it or return the funds. The merchant
  credits nothing while the payment is held, and its teams know how holds work.

  @emulator_only
  Scenario: A payment from a high-risk source is held and not credited
    Given a new customer
    And the customer has asked to deposit 100.00 EUR, paid in crypto
    When the customer pays the exact amount from a high-risk source
    Then Cryptopay reports the deposit as unresolved (illicit resource)
    And the merchant records the deposit as unresolved (illicit resource)
    And the customer has been credited nothing

  @emulator_only @invoices_12
  Scenario Outline: The monitoring team decides a held payment is <decision>
    Given a new customer
    And the customer has asked to deposit 100.00 EUR, paid in crypto
    And the customer has paid the exact amount from a high-risk source
    And the merchant has recorded the deposit as unresolved (illicit resource)
    When Cryptopay's monitoring team decides the held payment is <decision>
    Then Cryptopay reports the deposit as <final>
    And the merchant records the deposit as <final>
    And the customer's balance shows <credited> EUR

    Examples:
      | decision   | final     | credited |
      | legitimate | completed | 100.00   |
      | illicit    | refunded  | 0.00     |

  Scenario: The teams that handle risk holds have signed off
    Given the merchant's go-live sign-off file
    When the sign-off is checked
    Then Support, Finance, Fraud and Transaction Monitoring have each acknowledged how risk scoring and holds work for deposits
