@channels @channels_5
Feature: Customers are credited for completed payments to their deposit address, and only for those
  Proves, in Cryptopay's words:
  - Channels item 5: Make sure that you credit the funds to the customer's balance when the payment status is updated to completed
  A payment to a customer's deposit address is credited when, and only when, Cryptopay reports it completed:
  a payment the network has not confirmed yet (pending) or one held for review (on hold) credits nothing.

  Background:
    Given a new customer
    And the customer has a personal address to deposit crypto, credited in EUR

  Scenario: A completed payment credits the customer
    When the customer sends a payment to their deposit address
    Then Cryptopay reports the payment as completed
    And the customer has been credited the declared amount of the payment

  @emulator_only @negative
  Scenario Outline: A payment <how> credits nothing
    When the customer sends a payment to their deposit address <how>
    Then Cryptopay reports the payment as <status>
    And the customer has been credited nothing

    Examples:
      | how                                      | status                     |
      | that the network has not yet confirmed   | pending                    |
      | from a high-risk source                  | on hold (illicit resource) |
