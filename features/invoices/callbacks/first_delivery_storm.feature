@invoices @invoices_13 @emulator_only
Feature: The first "completed" notification arriving many times at once credits once
  Proves, in Cryptopay's words:
  - Invoices item 13: Make sure that resending callbacks with the completed status does not result in the recharging of funds to the customer's balance on your side
  Duplicates can race each other before anything was credited. The merchant must still credit once: only its
  own records refusing a second credit for the same deposit, even at the same instant, guarantee it.

  Scenario: The very first "completed" notification arrives 50 times at once
    Given a new customer
    And the customer has asked to deposit 100.00 EUR, paid in crypto
    And Cryptopay's notifications to the merchant are delayed
    And the customer has paid the exact amount of the deposit
    And Cryptopay has reported the deposit as completed
    When the "completed" notification reaches the merchant 50 times at once, Cryptopay's own held back
    Then the merchant acknowledged every notification
    And the customer's balance still shows 100.00 EUR
