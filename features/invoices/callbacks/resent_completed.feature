@invoices @invoices_13
Feature: A resent "completed" notification never credits twice
  Proves, in Cryptopay's words:
  - Invoices item 13: Make sure that resending callbacks with the completed status does not result in the recharging of funds to the customer's balance on your side
  Cryptopay may deliver the same notification more than once, and its dashboard can resend it.
  The customer must be credited once, however often and however simultaneously the notification arrives.

  Background:
    Given a new customer
    And the customer's 100.00 EUR deposit, paid in crypto, has been completed and credited

  Scenario: Cryptopay sends the "completed" notification again
    When Cryptopay sends the "completed" notification of the deposit again
    Then the merchant acknowledged every notification
    And the customer's balance still shows 100.00 EUR

  Scenario: Cryptopay sends the "completed" notification 50 times at once
    When Cryptopay sends the "completed" notification of the deposit 50 times at once
    Then the merchant acknowledged every notification
    And the customer's balance still shows 100.00 EUR
