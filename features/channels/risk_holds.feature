@channels @channels_8
Feature: Payments from risky sources are held, and never credited while held
  Proves, in Cryptopay's words:
  - Channels item 4: Check the payment status using the GET request
  - Channels item 8: Make sure that all the relevant teams on your side (Support Team, Finance Team, Fraud Team, Transaction Monitoring Team) are aware of how Cryptopay payment risk scoring works and that incoming payments can be assigned with the On Hold status and the Illicit Resources context in cases where they were sent from wallets connected to criminal activity
  Cryptopay scores every payment to a deposit address. A payment from a wallet tied to criminal activity is put
  on hold (illicit resource), and Cryptopay's transaction monitoring team decides what happens to it: a
  legitimate payment is completed and credited once, an illicit one is refunded to the sender and never credited.
  The merchant credits nothing while the payment is held, and its teams know how risk scoring and holds work.

  @emulator_only @channels_4
  Scenario: A payment to a deposit address from a high-risk source is held and not credited
    Given a new customer
    And the customer has a personal address to deposit crypto, credited in EUR
    When the customer sends a payment to their deposit address from a high-risk source
    Then Cryptopay reports the payment as on hold (illicit resource)
    And the merchant records the payment as on hold (illicit resource)
    And the customer has been credited nothing

  @emulator_only @channels_4
  Scenario Outline: The monitoring team decides a held payment to a deposit address is <decision>
    Given a new customer
    And the customer has a personal address to deposit crypto, credited in EUR
    And the customer has sent a payment to their deposit address from a high-risk source
    And the merchant has acknowledged Cryptopay's notification of the hold
    When Cryptopay's monitoring team decides the held payment is <decision>
    Then Cryptopay reports the payment as <final>
    And the merchant records the payment as <final>
    And the customer has been credited <credited>

    Examples:
      | decision   | final     | credited                             |
      | legitimate | completed | the declared amount of the payment   |
      | illicit    | refunded  | nothing                              |

  Scenario: The teams that handle risk holds have signed off on channel payments
    Given the merchant's go-live sign-off file
    When the sign-off is checked
    Then Support, Finance, Fraud and Transaction Monitoring have each acknowledged how risk scoring and holds work for payments to deposit addresses
