@invoices @invoices_12
Feature: Customers are credited for completed deposits, and only for those
  Proves, in Cryptopay's words:
  - Invoices item 11: Check the payment status using the GET request
  - Invoices item 12: Make sure that you credit funds to the customer balance when the payment status is completed
  A customer's balance grows by the invoice's price, in the currency the invoice is priced in, when
  Cryptopay reports the invoice completed, and not a moment earlier: a payment that is seen or confirmed
  but not completed credits nothing. A deposit priced in dollars is credited in dollars, one priced in
  bitcoin is credited in bitcoin.

  Background:
    Given a new customer

  @invoices_11
  Scenario Outline: A deposit paid in full credits the customer exactly the invoice's price
    Given the customer has asked to deposit <price> <currency>, paid in crypto
    When the customer pays the exact amount of the deposit
    Then Cryptopay reports the deposit as completed
    And the merchant records the deposit as completed
    And the customer's balance shows <price> <currency>

    Examples:
      | price  | currency |
      | 100.00 | EUR      |
      | 40.00  | USD      |
      | 0.0015 | BTC      |

  @negative
  Scenario: A confirmed payment that does not complete the invoice credits nothing
    Given the customer has asked to deposit 100.00 EUR, paid in crypto
    When the customer pays only half of the deposit
    Then Cryptopay sent the merchant the "payment seen" and "payment confirmed" notifications of the deposit, and each was acknowledged
    And Cryptopay does not report the deposit as completed
    And the merchant's recorded status of the deposit matches Cryptopay's
    And the customer has been credited nothing
