@invoices @invoices_10 @invoices_11
Feature: The merchant receives Cryptopay's notifications and follows each one
  Proves, in Cryptopay's words:
  - Invoices item 10: Make sure that you have received the callbacks and processed them correctly on your side
  - Invoices item 11: Check the payment status using the GET request
  - Invoices item 12: Make sure that you credit funds to the customer balance when the payment status is completed
  Cryptopay notifies the merchant when a payment is seen, when it is confirmed and when the invoice
  changes status. The merchant acknowledges each notification and its own record follows Cryptopay's.

  Scenario: Every notification of a paid deposit is acknowledged and followed
    Given a new customer
    And the customer has asked to deposit 100.00 EUR, paid in crypto
    When the customer pays the exact amount of the deposit
    Then Cryptopay sent the merchant the "payment seen", "payment confirmed" and "completed" notifications of the deposit, and each was acknowledged
    And the merchant records the deposit as completed
    And the merchant's recorded status of the deposit matches Cryptopay's

  @negative
  Scenario: A late "payment confirmed" notification does not move a completed deposit back
    Given a new customer
    And the customer's 100.00 EUR deposit, paid in crypto, has been completed and credited
    When an earlier "payment confirmed" notification of the deposit arrives late
    Then the merchant acknowledged every notification
    And the merchant still records the deposit as completed
    And the customer's balance still shows 100.00 EUR

  @negative
  Scenario: A late "payment seen" notification does not move an underpaid deposit back
    Given a new customer
    And the customer has asked to deposit 100.00 EUR, paid in crypto
    And the merchant's account does nothing itself with underpaid deposits
    And the customer has paid only half of the deposit
    And the deposit has expired
    And the merchant has recorded the deposit as unresolved (underpaid)
    When an earlier "payment seen" notification of the deposit arrives late
    Then the merchant still records the deposit as unresolved (underpaid)
    And the customer has been credited nothing

  @negative @invoices_12
  Scenario: A notification about an invoice the merchant never created credits nobody
    Given a new customer
    And an invoice in the merchant's account that its checkout never created has been completed for that customer
    When Cryptopay's "completed" notification of that invoice reaches the merchant
    Then the merchant acknowledged every notification
    And the merchant has no record of that invoice
    And the customer has been credited nothing
