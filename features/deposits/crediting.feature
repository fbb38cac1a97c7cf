@checklist_12
Feature: Customers are credited for completed deposits
  A customer's balance grows by the invoice's price when Cryptopay reports the invoice completed,
  and the merchant's own record follows Cryptopay's.

  Scenario: A deposit paid in full credits the customer exactly the invoice's price
    Given a new customer
    And the customer has asked to deposit 100.00 EUR, paid in BTC
    When the customer pays the exact amount of the deposit
    Then Cryptopay reports the deposit as completed
    And the merchant records the deposit as completed
    And the customer's balance shows 100.00 EUR
