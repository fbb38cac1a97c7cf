@checklist_12
Feature: Customers are credited for completed deposits, and only for those
  A customer's balance grows by the invoice's price when Cryptopay reports the invoice completed,
  and not a moment earlier: a payment that is seen or confirmed but not completed credits nothing.

  Background:
    Given a new customer
    And the customer has asked to deposit 100.00 EUR, paid in BTC

  @checklist_11
  Scenario: A deposit paid in full credits the customer exactly the invoice's price
    When the customer pays the exact amount of the deposit
    Then Cryptopay reports the deposit as completed
    And the merchant records the deposit as completed
    And the customer's balance shows 100.00 EUR

  @negative
  Scenario: A confirmed payment that does not complete the invoice credits nothing
    When the customer pays only half of the deposit
    Then Cryptopay notified the merchant of the payment and its confirmation
    And Cryptopay does not report the deposit as completed
    And the merchant's recorded status matches Cryptopay's
    And the customer has not been credited
