@invoices @invoices_5
Feature: Several invoices can be created and each one found again
  Proves, in Cryptopay's words:
  - Invoices item 5: Create multiple invoices
  The merchant's checkout creates one Cryptopay invoice per deposit, each with its own custom id,
  and every invoice can be found by its id, by its custom id and in the invoice list.

  Scenario: Three deposits in different amounts and currencies
    Given a new customer
    When the customer asks for deposits of 25.00 EUR in BTC, 40.00 USD in ETH and 15.50 GBP in LTC
    Then each deposit has its own invoice at Cryptopay, found by its id and by its custom id
    And Cryptopay's invoice list for the customer shows every deposit, newest first
