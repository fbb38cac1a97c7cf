@invoices @invoices_12 @emulator_only @negative
Feature: Cancelled invoices never credit
  Proves, in Cryptopay's words:
  - Invoices item 12: Make sure that you credit funds to the customer balance when the payment status is completed
  An invoice nobody pays within 14 days is cancelled by Cryptopay, and the merchant credits nothing for it.

  Scenario: A deposit never paid is cancelled after 14 days
    Given a new customer
    And the customer has asked to deposit 100.00 EUR, paid in crypto
    When 14 days pass without payment
    Then Cryptopay reports the deposit as cancelled
    And the merchant records the deposit as cancelled
    And the customer has been credited nothing
