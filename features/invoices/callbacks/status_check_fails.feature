@invoices @invoices_10 @invoices_12 @emulator_only
Feature: A notification the merchant could not confirm with Cryptopay is not lost
  Proves, in Cryptopay's words:
  - Invoices item 10: Make sure that you have received the callbacks and processed them correctly on your side
  - Invoices item 12: Make sure that you credit funds to the customer balance when the payment status is completed
  The merchant confirms every notification by asking Cryptopay for the invoice's status. When Cryptopay cannot
  answer that once, the merchant must not acknowledge the notification as handled: it answers with a failure,
  so that Cryptopay sends it again, and credits the deposit when the retry comes (or finds the status again by
  itself). A notification acknowledged but never acted on is lost for good.
  Emulator only: the sandbox cannot make its answers fail on purpose.

  Scenario: A deposit whose status checks failed once is still credited
    Given a new customer
    And the customer has asked to deposit 100.00 EUR, paid in crypto
    And the customer has paid the exact amount of the deposit, which the network has not yet confirmed
    And Cryptopay will fail the merchant's status check of the deposit once while it handles each of the "payment confirmed" and "completed" notifications
    And the network has confirmed the payment of the deposit
    And the merchant has answered those notifications
    When Cryptopay's first retry falls due
    Then the merchant records the deposit as completed
    And the customer's balance shows 100.00 EUR
