@invoices @invoices_4 @invoices_11
Feature: Unresolved invoices are handled the way the merchant declared
  Proves, in Cryptopay's words:
  - Invoices item 4: Make sure that you use the settings that suit you in the Settings section > API > How to handle unresolved invoices to process unresolved status
  - Invoices item 11: Check the payment status using the GET request
  In its Cryptopay account the merchant chooses, per kind of unresolved invoice, to do nothing, to refund
  automatically or to recalculate and settle. The declared choice is part of the certification; what
  Cryptopay and the merchant then do must match it. Refunding an overpayment returns only the excess, so the
  deposit still completes at its price.

  Background:
    Given Cryptopay ends each kind of unresolved deposit by the account's declared policy like this:
      | declared policy | underpaid              | overpaid              | paid late              |
      | do nothing      | unresolved (underpaid) | unresolved (overpaid) | unresolved (paid late) |
      | refund          | refunded               | completed             | refunded               |
      | recalculate     | completed              | completed             | completed              |
    And a new customer
    And the customer has asked to deposit 100.00 EUR, paid in crypto

  Scenario: An underpaid deposit is handled as declared
    Given the customer has paid only half of the deposit
    When the deposit expires
    Then Cryptopay handles the underpaid deposit as the declared policy says

  Scenario: An overpaid deposit is handled as declared
    When the customer pays twice the amount of the deposit
    Then Cryptopay handles the overpaid deposit as the declared policy says

  Scenario: A late payment is handled as declared
    Given the deposit has expired
    When the customer pays the exact amount of the deposit
    Then Cryptopay handles the paid late deposit as the declared policy says
