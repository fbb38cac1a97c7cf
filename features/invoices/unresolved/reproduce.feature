@invoices
Feature: Wrong and late payments are reproduced and held for resolution
  Proves, in Cryptopay's words:
  - Invoices item 6: Reproduce the underpaid scenario by sending cryptocurrency to the invoice address
  - Invoices item 7: Reproduce the overpaid scenario by sending cryptocurrency to the invoice address
  - Invoices item 8: Reproduce the paid_late scenario by sending cryptocurrency to the invoice address
  - Invoices item 10: Make sure that you have received the callbacks and processed them correctly on your side
  - Invoices item 11: Check the payment status using the GET request
  - Invoices item 12: Make sure that you credit funds to the customer balance when the payment status is completed
  Paying too little, too much or too late leaves the invoice unresolved. While it is unresolved the
  merchant holds the deposit and credits nothing.

  Background:
    Given a new customer
    And the customer has asked to deposit 100.00 EUR, paid in crypto

  @invoices_6 @invoices_10 @invoices_11 @invoices_12
  Scenario: Paying too little leaves the deposit unresolved as underpaid once it expires
    Given the merchant's account does nothing itself with underpaid deposits
    And the customer has paid only half of the deposit
    When the deposit expires
    Then Cryptopay reports the deposit as unresolved (underpaid)
    And the merchant records the deposit as unresolved (underpaid)
    And the customer has been credited nothing

  @invoices_7 @invoices_10 @invoices_11 @invoices_12
  Scenario: Paying too much leaves the deposit unresolved as overpaid
    Given the merchant's account does nothing itself with overpaid deposits
    When the customer pays twice the amount of the deposit
    Then Cryptopay reports the deposit as unresolved (overpaid)
    And the merchant records the deposit as unresolved (overpaid)
    And the customer has been credited nothing

  @invoices_8 @invoices_10 @invoices_11 @invoices_12
  Scenario: Paying after the deposit expired leaves it unresolved as paid late
    Given the merchant's account does nothing itself with paid late deposits
    And the deposit has expired
    When the customer pays the exact amount of the deposit
    Then Cryptopay reports the deposit as unresolved (paid late)
    And the merchant records the deposit as unresolved (paid late)
    And the customer has been credited nothing
