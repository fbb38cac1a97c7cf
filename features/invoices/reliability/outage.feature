@invoices @emulator_only @invoices_10 @invoices_13
Feature: Notifications the merchant could not take are retried, and credit once
  Proves, in Cryptopay's words:
  - Invoices item 10: Make sure that you have received the callbacks and processed them correctly on your side
  - Invoices item 13: Make sure that resending callbacks with the completed status does not result in the recharging of funds to the customer's balance on your side
  When the merchant cannot be reached, Cryptopay keeps the notifications and retries them on its schedule
  (30 seconds, then longer). Once the merchant is back, the retried notifications credit the customer once.

  Scenario: The merchant was unreachable when the deposit completed
    Given a new customer
    And the customer has asked to deposit 100.00 EUR, paid in crypto
    And Cryptopay cannot reach the merchant
    And the customer has paid the exact amount of the deposit
    And Cryptopay has reported the deposit as completed
    And Cryptopay has failed to deliver the "completed" notification
    And the merchant is reachable again
    When Cryptopay's first retry falls due
    Then the merchant records the deposit as completed
    And the customer's balance shows 100.00 EUR
    And Cryptopay's delivery log shows the failed attempt and the successful retry
