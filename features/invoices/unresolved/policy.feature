@invoices @invoices_4 @invoices_11
Feature: Unresolved deposits end the way the merchant chose in its account
  Proves, in Cryptopay's words:
  - Invoices item 4: Make sure that you use the settings that suit you in the Settings section > API > How to handle unresolved invoices to process unresolved status
  - Invoices item 11: Check the payment status using the GET request
  In its Cryptopay account the merchant chooses, per kind of unresolved invoice, to do nothing, to refund
  automatically or to recalculate and settle. The choice is part of the certification, and the report names
  it in each scenario; what Cryptopay and the merchant then do must match it. Refunding an overpayment
  returns only the excess, so the deposit still completes at its price.

  Background:
    Given Cryptopay ends each kind of unresolved deposit the way the merchant chose in its account:
      | merchant chose  | underpaid              | overpaid              | paid late              |
      | do nothing      | unresolved (underpaid) | unresolved (overpaid) | unresolved (paid late) |
      | refund          | refunded               | completed             | refunded               |
      | recalculate     | completed              | completed             | completed              |
    And a new customer
    And the customer has asked to deposit 100.00 EUR, paid in crypto

  Scenario: An underpaid deposit ends as the merchant chose
    Given the customer has paid only half of the deposit
    When the deposit expires
    Then Cryptopay handles the underpaid deposit as the merchant chose

  Scenario: An overpaid deposit ends as the merchant chose
    When the customer pays twice the amount of the deposit
    Then Cryptopay handles the overpaid deposit as the merchant chose

  Scenario: A late payment ends as the merchant chose
    Given the deposit has expired
    When the customer pays the exact amount of the deposit
    Then Cryptopay handles the paid late deposit as the merchant chose
