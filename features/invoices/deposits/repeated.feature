@invoices @invoices_12
Feature: A customer's second deposit of the same amount is credited too
  Proves, in Cryptopay's words:
  - Invoices item 12: Make sure that you credit funds to the customer balance when the payment status is completed
  Customers deposit the same amount again and again: each deposit is its own invoice and is credited on its
  own when it completes. A deposit like an earlier one, same customer, same amount, same currency, is a new
  deposit, not the earlier one again.

  Scenario: Two deposits of the same amount by one customer are both credited
    Given a new customer
    And the customer's 100.00 EUR deposit, paid in crypto, has been completed and credited
    And the customer has asked to deposit 100.00 EUR, paid in crypto
    When the customer pays the exact amount of the deposit
    Then Cryptopay reports the deposit as completed
    And the merchant records the deposit as completed
    And the customer's balance shows 200.00 EUR
